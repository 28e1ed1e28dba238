// The one error type the widget's API layer throws (besides the caller's own AbortError), shaped like
// the server's {"error":{"code","message"}} plus what the UI needs to decide whether to offer a retry.

export interface WidgetErrorInit {
  status?: number | undefined;
  retryable?: boolean | undefined;
  /** Seconds from a Retry-After header, when the server sent one. */
  retryAfter?: number | undefined;
}

export class WidgetError extends Error {
  override readonly name = 'WidgetError';
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly retryAfter: number | undefined;

  constructor(readonly code: string, message: string, init: WidgetErrorInit = {}) {
    super(message);
    this.status = init.status;
    this.retryable = init.retryable ?? false;
    this.retryAfter = init.retryAfter;
  }
}

/** Transient by nature: the same request may well succeed later. */
export const isRetryableStatus = (status: number): boolean => status === 429 || status >= 500;

/** Retry-After as seconds (delta or HTTP date); undefined when absent or unparsable. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** Builds the error for a failed HTTP response from its already-read body text. */
export function errorFromResponse(status: number, bodyText: string, retryAfterHeader: string | null): WidgetError {
  let code = status === 401 ? 'UNAUTHENTICATED' : `HTTP_${status}`;
  let message = `HTTP ${status}`;
  try {
    const body: unknown = JSON.parse(bodyText);
    const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
    if (typeof error === 'object' && error !== null) {
      const { code: c, message: m } = error as { code?: unknown; message?: unknown };
      if (typeof c === 'string') code = c;
      if (typeof m === 'string') message = m;
    }
  } catch {
    // Not our JSON (a proxy's HTML page, say): the status alone has to do.
  }
  return new WidgetError(code, message, { status, retryable: isRetryableStatus(status), retryAfter: parseRetryAfter(retryAfterHeader) });
}

export const networkError = (detail?: string): WidgetError =>
  new WidgetError('NETWORK_ERROR', `Unreachable (${detail ?? 'network'})`, { retryable: true });

/** What an aborted operation rejects with: the signal's reason, which is an AbortError DOMException by default. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

export function isAbortError(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}
