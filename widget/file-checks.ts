// What both modes check before anything is uploaded: a type the server accepts and a size under the limit.
import { format, type Strings } from './i18n.ts';

export const ACCEPTED_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif'];

/** Number formats by locale: making one loads ICU data (tens of ms on a slow phone), so each is made once. */
const numberFormats = new Map<string, Intl.NumberFormat>();

/** "25 MB", "1.5 MB" ("1,5 MB" in de), "300 KB" (binary units, as the limits are set). */
export function formatBytes(bytes: number, locale = 'en'): string {
  const mb = bytes / 1024 / 1024;
  let formatter = numberFormats.get(locale);
  if (!formatter) numberFormats.set(locale, (formatter = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 })));
  const number = (n: number) => formatter.format(n);
  return mb >= 1 ? `${number(mb)} MB` : `${number(Math.round(bytes / 1024))} KB`;
}

/** Why `file` cannot be used, with the code of the avatar-error event, or null when it can. */
export function fileRefusal(file: Blob, maxBytes: number, text: Strings): { code: 'UNSUPPORTED_MEDIA_TYPE' | 'FILE_TOO_LARGE'; message: string } | null {
  if (!ACCEPTED_TYPES.includes(file.type)) return { code: 'UNSUPPORTED_MEDIA_TYPE', message: text.errorType };
  if (file.size > maxBytes) return { code: 'FILE_TOO_LARGE', message: format(text.errorSize, { max: formatBytes(maxBytes, text.locale) }) };
  return null;
}

/** The server's default frame limit (AVATAR_MAX_FRAMES); the server checks its own setting anyway. */
export const MAX_FRAMES = 200;

/** Frames in an animated image, read from its headers (1 for a still image, or where the browser cannot tell). */
export async function frameCount(file: Blob): Promise<number> {
  if (typeof ImageDecoder === 'undefined') return 1;
  const decoder = new ImageDecoder({ data: file.stream(), type: file.type });
  try {
    await decoder.completed;
    return decoder.tracks.selectedTrack?.frameCount ?? 1;
  } catch {
    return 1; // not ours to refuse: the worker's decode and the server decide
  } finally {
    decoder.close();
  }
}
