// The status line's content: an information (a text key) or an error (its code), put into words when it is
// shown, so a change of language re-renders it.
import { errorMessage, format, type StringKey, type Strings } from './i18n.ts';

export interface Notice {
  /** An information to show (ignored when `code` is set). */
  key?: StringKey | undefined;
  /** An error code (SPEC §3, or the widget's own): shown in the user's words. */
  code?: string | undefined;
  /** Placeholders of the text ({max}, {shortcode}…). */
  values?: Record<string, string | number> | undefined;
}

export function noticeText(notice: Notice | null, t: Strings, values: Record<string, string | number> = {}): string {
  if (!notice) return '';
  const all = { ...values, ...notice.values };
  return notice.code ? errorMessage(t, notice.code, all) : notice.key ? format(t[notice.key], all) : '';
}
