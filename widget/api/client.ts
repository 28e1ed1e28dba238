// The widget's HTTP client: JSON in and out, WidgetError on failure, backoff on transient failures,
// and one token refresh through the host's tokenProvider when the server answers 401.
import { abortReason, errorFromResponse, networkError, WidgetError } from './errors.ts';

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A longer Retry-After is not waited out silently: the error goes to the UI instead. */
  maxRetryAfterSeconds: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 500, maxDelayMs: 8000, maxRetryAfterSeconds: 30 };

export interface RetryInfo {
  /** The attempt that failed (1-based); the next one is attempt + 1. */
  attempt: number;
  delayMs: number;
  error: WidgetError;
}

export interface ApiClientOptions {
  /** Base URL of the avatar server, e.g. "https://avatars.example.com". */
  endpoint: string;
  getToken(): string | undefined;
  /** Asked for a new token once when a request is refused with 401. */
  tokenProvider?: (() => Promise<string> | string) | undefined;
  onTokenRefreshed?(token: string): void;
  retry?: Partial<RetryPolicy> | undefined;
  /** Told before each backoff wait, so the UI can say "retrying…". */
  onRetry?(info: RetryInfo): void;
}

export interface RequestOptions {
  json?: unknown;
  signal?: AbortSignal | undefined;
}

/** Resolves after `ms`, or rejects with the abort reason as soon as `signal` aborts (the timer is cleared). */
export function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `promise`, except that this caller stops waiting (with the abort reason) when its own signal aborts. */
export function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(abortReason(signal));
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Exponential with "equal jitter": never less than half the step, so retries from many clients spread out. */
export function backoffDelay(failedAttempt: number, policy: RetryPolicy, random = Math.random): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempt - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}

/**
 * Runs `run` until it succeeds, retrying only retryable WidgetErrors (network, 5xx, 429) with backoff.
 * Anything else, including the caller's AbortError, goes straight out.
 */
export async function withRetry<T>(
  run: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
  onRetry?: (info: RetryInfo) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await run(attempt);
    } catch (error) {
      if (!(error instanceof WidgetError) || !error.retryable || attempt >= policy.attempts) throw error;
      const backoff = backoffDelay(attempt, policy);
      if (error.retryAfter !== undefined && error.retryAfter > policy.maxRetryAfterSeconds) throw error;
      const delayMs = error.retryAfter !== undefined ? Math.max(error.retryAfter * 1000, backoff) : backoff;
      onRetry?.({ attempt, delayMs, error });
      await wait(delayMs, signal);
    }
  }
}

export class ApiClient {
  readonly retryPolicy: RetryPolicy;
  /** The latest token from tokenProvider, used for as long as the host keeps handing out the one it had then. */
  #refreshed: { hostToken: string | undefined; token: string } | undefined;
  #refreshing: Promise<string> | undefined;

  constructor(readonly options: ApiClientOptions) {
    this.retryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  }

  url(path: string): string {
    return this.options.endpoint.replace(/\/+$/, '') + path;
  }

  /** `run` under this client's retry policy (the presigned PUT uses it too). */
  retry<T>(run: (attempt: number) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(run, this.retryPolicy, signal, this.options.onRetry);
  }

  /** Parsed JSON (undefined for an empty body), or a WidgetError carrying the server's code. */
  request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const { signal } = options;
    let refreshedOnce = false;
    return this.retry(async () => {
      const sent = this.#token();
      const response = await this.#send(method, path, options, sent);
      if (response.status !== 401 || refreshedOnce || !this.options.tokenProvider) return this.#read<T>(response, signal);
      refreshedOnce = true;
      void response.body?.cancel().catch(() => {});
      // Another request may have refreshed while this one was in flight: then its token is used as is.
      const current = this.#token();
      const token = current !== undefined && current !== sent ? current : await this.#refresh(signal);
      return this.#read<T>(await this.#send(method, path, options, token), signal);
    }, signal);
  }

  #token(): string | undefined {
    const given = this.options.getToken();
    return this.#refreshed && given === this.#refreshed.hostToken ? this.#refreshed.token : given;
  }

  /** One provider call shared by every request that hit 401 at the same time. */
  #refresh(signal?: AbortSignal): Promise<string> {
    this.#refreshing ??= this.#callProvider().finally(() => {
      this.#refreshing = undefined;
    });
    return abortable(this.#refreshing, signal);
  }

  async #callProvider(): Promise<string> {
    let token: unknown;
    try {
      token = await this.options.tokenProvider!();
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new WidgetError('UNAUTHENTICATED', `tokenProvider failed: ${why}`, { status: 401 });
    }
    if (typeof token !== 'string' || token === '') {
      throw new WidgetError('UNAUTHENTICATED', 'tokenProvider gave no token', { status: 401 });
    }
    this.#refreshed = { hostToken: this.options.getToken(), token };
    this.options.onTokenRefreshed?.(token);
    return token;
  }

  async #send(method: string, path: string, { json, signal }: RequestOptions, token: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (json !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await fetch(this.url(path), { method, headers, body: json === undefined ? null : JSON.stringify(json), signal: signal ?? null });
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      throw (await this.#refusedByCors())
        ? new WidgetError('CORS_REFUSED', `CORS: ${location.origin} is not allowed`)
        : networkError(error instanceof Error ? error.message : undefined);
    }
  }

  /**
   * fetch() says only "Failed to fetch" both offline and when CORS refuses this page's origin. Online, a
   * cross-origin server that answers a no-cors GET /healthz (an opaque response needs no CORS) is up:
   * then the refusal was CORS.
   */
  async #refusedByCors(): Promise<boolean> {
    return (
      navigator.onLine &&
      new URL(this.url('/'), location.href).origin !== location.origin &&
      fetch(this.url('/healthz'), { mode: 'no-cors' }).then(
        () => true,
        () => false,
      )
    );
  }

  async #read<T>(response: Response, signal?: AbortSignal): Promise<T> {
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      throw networkError(error instanceof Error ? error.message : undefined);
    }
    if (!response.ok) throw errorFromResponse(response.status, text, response.headers.get('Retry-After'));
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new WidgetError('INVALID_RESPONSE', `HTTP ${response.status}: not JSON`, { status: response.status });
    }
  }
}
