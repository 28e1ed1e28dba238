// Placeholder avatars for users without an upload. Pure functions of their inputs, so the same user
// always gets the same picture and responses stay cacheable.
import { createHash } from 'node:crypto';

function digest(seed: string): Buffer {
  return createHash('sha256').update(seed).digest();
}

/** Mid-lightness, moderately saturated: readable with white text and distinct from the light backdrop. */
function colourOf(hash: Buffer): string {
  const hue = hash.readUInt16BE(0) % 360;
  const saturation = 45 + (hash[2]! % 30);
  const lightness = 38 + (hash[3]! % 14);
  return `hsl(${hue}, ${saturation}%, ${lightness}%)`; // comma syntax: understood by every SVG renderer
}

const GRID = 5;

/** A 5×5 grid mirrored left↔right (symmetry makes random noise read as a shape): 15 bits of the hash. */
export function identiconSvg(seed: string, size: number): string {
  const hash = digest(seed);
  const cells: string[] = [];
  const half = Math.ceil(GRID / 2);
  for (let row = 0; row < GRID; row++) {
    for (let column = 0; column < half; column++) {
      const bit = row * half + column;
      // Bits come after the four bytes used for the colour, so pattern and colour vary independently.
      if (((hash[4 + (bit >> 3)]! >> (bit & 7)) & 1) === 0) continue;
      for (const x of new Set([column, GRID - 1 - column])) cells.push(`M${x} ${row}h1v1h-1z`);
    }
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="-0.5 -0.5 6 6" shape-rendering="crispEdges">` +
    `<rect x="-0.5" y="-0.5" width="6" height="6" fill="#f0f0f0"/>` +
    `<path fill="${colourOf(hash)}" d="${cells.join('')}"/></svg>`
  );
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => XML_ESCAPES[char]!);
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** First letters of the first and last words; whole graphemes, so accents and emoji stay intact. */
function initialsOf(name: string): string {
  const words = name.normalize('NFC').trim().split(/\s+/).filter(Boolean);
  const initial = (word: string) => graphemes.segment(word)[Symbol.iterator]().next().value?.segment ?? '';
  const first = words[0];
  const last = words.length > 1 ? words[words.length - 1] : undefined;
  const letters = (first ? initial(first) : '') + (last ? initial(last) : '');
  return letters ? letters.toLocaleUpperCase() : '?';
}

export function initialsSvg(name: string, seed: string, size: number): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 100 100">` +
    `<rect width="100" height="100" fill="${colourOf(digest(seed))}"/>` +
    `<text x="50" y="50" text-anchor="middle" dominant-baseline="central" fill="#fff" font-size="40" ` +
    `font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif">${escapeXml(initialsOf(name))}</text></svg>`
  );
}
