// One POST of a webhook: to an address checked at connect time (target.ts), with a total time limit, no
// redirects followed, and at most a small part of the answer read. Never throws: every outcome is a SendResult.
import http from 'node:http';
import https from 'node:https';
import { addressRefusal, guardedLookup, ipLiteral, parseWebhookUrl, WebhookUrlError, type TargetPolicy } from './target.ts';

export interface SendResult {
  ok: boolean;
  /** The HTTP status, when an answer came. */
  status: number | null;
  /** CODE: detail, for anything but a 2xx. */
  error: string | null;
  durationMs: number;
  /** The start of the answer's body (≤ EXCERPT_CHARS), for the deliveries listing. */
  excerpt: string | null;
}

export interface SenderOptions {
  policy: TargetPolicy;
  timeoutMs: number;
  /** The most of an answer's body read; the connection is dropped after that. */
  maxBodyBytes?: number;
}

export interface Sender {
  send(target: string, headers: Record<string, string>, body: string): Promise<SendResult>;
  /** Closes pooled connections. */
  close(): void;
}

export const EXCERPT_CHARS = 256;
const USER_AGENT = 'avatar-server-webhooks/1';

const short = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
// Answers are shown in an admin listing: keep them printable and short.
const excerptOf = (bytes: Buffer) => short(bytes.toString('utf8').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim(), EXCERPT_CHARS) || null;

interface Attempt {
  status: number | null;
  error: string | null;
  excerpt: string | null;
  /** A pooled connection the receiver had already closed: worth one immediate retry on a fresh one. */
  staleSocket?: boolean;
}

export function createSender({ policy, timeoutMs, maxBodyBytes = 1024 }: SenderOptions): Sender {
  const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };
  const lookups = { 'http:': guardedLookup('http:', policy), 'https:': guardedLookup('https:', policy) };

  function attempt(url: URL, headers: Record<string, string>, body: string, deadline: number): Promise<Attempt> {
    return new Promise<Attempt>((resolve) => {
      let settled = false;
      const settle = (result: Attempt) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const protocol = url.protocol as 'http:' | 'https:';
      const request = (protocol === 'https:' ? https : http).request(url, {
        method: 'POST',
        agent: agents[protocol],
        lookup: lookups[protocol],
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': USER_AGENT },
      });
      const timer = setTimeout(() => {
        request.destroy();
        settle({ status: null, error: `TIMEOUT: no complete answer within ${timeoutMs / 1000} s`, excerpt: null });
      }, Math.max(0, deadline - performance.now()));
      request.on('error', (err: NodeJS.ErrnoException) => {
        const staleSocket = request.reusedSocket && err.code === 'ECONNRESET';
        settle({ status: null, error: short(`${err.code ?? 'CONNECTION_FAILED'}: ${err.message}`), excerpt: null, staleSocket });
      });
      request.on('response', (response) => {
        const status = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let received = 0;
        const finish = () => {
          const excerpt = excerptOf(Buffer.concat(chunks).subarray(0, maxBodyBytes));
          if (status >= 200 && status < 300) settle({ status, error: null, excerpt });
          else if (status >= 300 && status < 400) {
            const location = response.headers.location ? ` to ${short(response.headers.location, 100)}` : '';
            settle({ status, error: `REDIRECT_NOT_FOLLOWED: ${status}${location}`, excerpt });
          } else settle({ status, error: `HTTP_${status}: the receiver answered ${status}`, excerpt });
        };
        response.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          received += chunk.length;
          // Enough to show what it said; the rest is never read, and the connection goes with it.
          if (received >= maxBodyBytes) {
            response.destroy();
            finish();
          }
        });
        response.on('end', finish);
        response.on('error', finish);
        response.on('close', finish);
      });
      request.end(body);
    });
  }

  return {
    async send(target, headers, body) {
      const started = performance.now();
      const deadline = started + timeoutMs;
      const done = (result: Attempt): SendResult => ({
        ok: result.error === null,
        status: result.status,
        error: result.error,
        excerpt: result.excerpt,
        durationMs: Math.round(performance.now() - started),
      });
      let url: URL;
      try {
        // Checked again now: the policy may have changed since the endpoint was created.
        url = parseWebhookUrl(target, policy);
        const literal = ipLiteral(url);
        const why = literal === null ? null : addressRefusal(literal, url.protocol, policy);
        if (why) throw new WebhookUrlError('forbidden', `${literal} ${why}`);
      } catch (err) {
        const code = err instanceof WebhookUrlError && err.kind === 'forbidden' ? 'ADDRESS_FORBIDDEN' : 'URL_INVALID';
        return done({ status: null, error: short(`${code}: ${(err as Error).message}`), excerpt: null });
      }
      let result = await attempt(url, headers, body, deadline);
      if (result.staleSocket && performance.now() < deadline) result = await attempt(url, headers, body, deadline);
      return done(result);
    },
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}
