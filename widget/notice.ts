// The status line of both modes: an information (a text key) or an error (its code), put into words when it
// is shown, so a change of language re-renders it; a retryable error comes with a Try again button.
import { html, nothing } from 'lit';
import { errorMessage, format, type StringKey, type Strings } from './i18n.ts';

export interface Notice {
  /** The text to show; for an error, a more precise text than its code's (e.g. with the number of frames). */
  key?: StringKey | undefined;
  /** An error code (SPEC §3, or the widget's own): shown in the user's words. */
  code?: string | undefined;
  /** Placeholders of the text ({max}, {shortcode}…). */
  values?: Record<string, string | number> | undefined;
  /** A button next to the text: Try again for a retryable error, Undo after a removal. */
  action?: { key: StringKey; run: () => unknown } | undefined;
}

/** The notice for an error thrown by the API layer (a WidgetError, or anything else). */
export function errorNotice(error: unknown, retry?: () => unknown): Notice {
  const e = error as { code?: string; retryable?: boolean };
  const code = e.code ?? 'NETWORK_ERROR';
  return {
    code,
    // fetch() fails alike offline and when the server does not answer; the browser knows which it is.
    key: code === 'NETWORK_ERROR' ? (navigator.onLine ? 'errorUnreachable' : 'errorOffline') : undefined,
    action: retry && isRetryable(error) ? { key: 'retry', run: retry } : undefined,
  };
}

/** Whether trying again may help (a WidgetError says; anything else is taken as a passing failure). */
export const isRetryable = (error: unknown) => (error as { retryable?: boolean }).retryable ?? true;

/** The server refused the token (a bad, expired or revoked one): nothing works until the host sets another. */
export const isRefusedToken = (error: unknown) => (error as { code?: string }).code === 'UNAUTHENTICATED';

export function noticeText(notice: Notice | null, t: Strings, values: Record<string, string | number> = {}): string {
  if (!notice) return '';
  const all = { ...values, ...notice.values };
  return notice.key ? format(t[notice.key], all) : notice.code ? errorMessage(t, notice.code, all) : '';
}

/**
 * The status line (a live region) and the notice's action button. The action replaces the notice, so its button
 * goes: `focus` first moves focus to what the action is about (an action may move it on when it ends).
 */
export function renderNotice(notice: Notice | null, t: Strings, values: Record<string, string | number>, focus: () => void) {
  const action = notice?.action;
  return html`<p part="status" class="status ${notice?.code ? 'error' : ''}" role="status">${noticeText(notice, t, values)}</p>
    ${action ? html`<button type="button" part="button ${action.key}" @click=${() => (focus(), action.run())}>${t[action.key]}</button>` : nothing}`;
}
