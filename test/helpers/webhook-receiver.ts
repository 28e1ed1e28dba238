// A webhook receiver for tests: a node:http server on 127.0.0.1 that records every request and answers as the
// test says (204 by default, any status, or not at all until released). It can play a receiver that is down,
// keeping its port meanwhile (a port closed and listened on again may be taken by another test's server between).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** performance.now() at arrival. */
  at: number;
}

export type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

export interface Receiver {
  url: string;
  port: number;
  received: ReceivedWebhook[];
  /** Decides each answer; `n` counts requests from 0. */
  answer: (request: ReceivedWebhook, n: number) => Answer;
  /** Resolves with the first request (already received or future) matching `predicate`. */
  waitFor(predicate: (request: ReceivedWebhook) => boolean, what: string, timeoutMs?: number): Promise<ReceivedWebhook>;
  /** Resolves once `count` requests have arrived. */
  waitForCount(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  /** Answers every request held by a 'hang' answer. */
  release(answer?: { status: number }): void;
  /** The receiver is down: every connection, open or new, is reset at once (its port stays ours). */
  down(): void;
  /** Back up after down(). */
  up(): void;
  /** Stops listening and drops every connection, for good. */
  close(): Promise<void>;
}

/** The body of a delivery, verified with the official Standard Webhooks library (throws if it does not verify). */
export function verified<T = any>(secret: string, request: ReceivedWebhook): T {
  return new Webhook(secret).verify(request.body, request.headers) as T;
}

export async function startReceiver(port = 0): Promise<Receiver> {
  const received: ReceivedWebhook[] = [];
  const held: ServerResponse[] = [];
  const waiters = new Set<() => void>();
  const send = (res: ServerResponse, answer: Exclude<Answer, 'hang'>) => {
    res.writeHead(answer.status, answer.headers ?? {});
    res.end(answer.body ?? '');
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v ?? '']));
      const request = { method: req.method ?? '', path: req.url ?? '', headers, body: Buffer.concat(chunks).toString('utf8'), at: performance.now() };
      received.push(request);
      const answer = receiver.answer(request, received.length - 1);
      if (answer === 'hang') held.push(res);
      else send(res, answer);
      for (const wake of [...waiters]) wake();
    });
  });
  let isDown = false;
  server.on('connection', (socket) => {
    if (isDown) socket.resetAndDestroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      port = (server.address() as AddressInfo).port;
      resolve();
    });
  });

  const waitUntil = <T>(probe: () => T | undefined, what: string, timeoutMs: number) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value === undefined) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; received ${received.length}: ${received.map((r) => r.body.slice(0, 120)).join('\n')}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  const receiver: Receiver = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    received,
    answer: () => ({ status: 204 }),
    waitFor: (predicate, what, timeoutMs = 20_000) => waitUntil(() => received.find(predicate), what, timeoutMs),
    waitForCount: (count, timeoutMs = 20_000) => waitUntil(() => (received.length >= count ? received.slice(0, count) : undefined), `${count} requests`, timeoutMs),
    release(answer = { status: 204 }) {
      for (const res of held.splice(0)) if (!res.writableEnded) send(res, answer);
    },
    down() {
      isDown = true;
      held.splice(0);
      server.closeAllConnections();
    },
    up() {
      isDown = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        held.splice(0);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return receiver;
}
