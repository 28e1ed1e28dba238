// What both modes check before anything is uploaded: a type the server accepts and a size under the limit.
import { ACCEPTED_TYPES } from '../media/formats.ts';
import { format, type Strings } from './i18n.ts';

export { ACCEPTED_TYPES };

/**
 * "25 MB", "1.5 MB" ("1,5 MB" in de, fr, es), "300 KB" (binary units, as the limits are set). Not through
 * Intl.NumberFormat: its first use is 50–180 ms of ICU set-up at 4× CPU throttle, and the status line words the
 * limit in every render (the editor's first one included).
 */
export function formatBytes(bytes: number, locale = 'en'): string {
  const mb = bytes / 1024 / 1024;
  const number = (n: number) => {
    const text = String(Math.round(n * 10) / 10);
    return /^en\b/i.test(locale) ? text : text.replace('.', ',');
  };
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
