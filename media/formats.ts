// The image formats, in one table (as imgproxy keeps its): what each is called, its content type and file
// extension, and whether it can hold an animation. Every one is accepted as an upload (recognised by its bytes,
// server/images/sniff.ts); the formats variants are made in are those media/variants.ts gives an encoding.
// Adding a format is one entry here (and its encoding there).

export interface FormatInfo {
  /** As people write it, for messages ("The bytes are not a PNG image"). */
  name: string;
  contentType: string;
  extension: string;
  /** Can hold more than one frame (as a variant: an animated emote is made in such a format only). */
  animation: boolean;
}

export const IMAGE_FORMATS = {
  jpeg: { name: 'JPEG', contentType: 'image/jpeg', extension: 'jpg', animation: false },
  png: { name: 'PNG', contentType: 'image/png', extension: 'png', animation: false },
  gif: { name: 'GIF', contentType: 'image/gif', extension: 'gif', animation: true },
  webp: { name: 'WebP', contentType: 'image/webp', extension: 'webp', animation: true },
  avif: { name: 'AVIF', contentType: 'image/avif', extension: 'avif', animation: false },
} as const satisfies Record<string, FormatInfo>;

export type ImageFormat = keyof typeof IMAGE_FORMATS;

/** The content types an upload may be declared as (the widget offers and checks these before uploading). */
export const ACCEPTED_TYPES: string[] = Object.values(IMAGE_FORMATS).map((format) => format.contentType);

/** The format a content type names (parameters and case ignored); null for anything not in the table. */
export function formatOfType(contentType: string): ImageFormat | null {
  const essence = (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
  for (const [format, info] of Object.entries(IMAGE_FORMATS)) if (info.contentType === essence) return format as ImageFormat;
  return null;
}
