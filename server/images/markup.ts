// Markup a browser would act on, anywhere in an upload (issue 13). An image's bytes become a document
// when something renders them as HTML or SVG: a wrong Content-Type, content sniffing, a proxy, a
// download opened locally. The HTML parser then treats the binary as text and acts on any tag in it,
// wherever it is; so the whole file is scanned, case-insensitively.
//
// What counts (a browser acts on it: runs script, loads content, navigates, or restyles the page):
// - elements: script, iframe, frame(set), object, embed, applet, portal, style, link, base, meta (a
//   refresh), form, input, button, isindex, img, image, video, audio, source, svg, math, foreignObject,
//   html, head, body; also with a namespace prefix (<x:script>, <svg:script>) as XHTML/SVG read them;
// - an event handler attribute (on…=) on any element;
// - javascript:, vbscript: and document data: URLs;
// - <!DOCTYPE, <!ENTITY, <?xml (and <?xml-stylesheet), the XHTML and SVG namespace URIs.
//
// Photos are mostly compressed data, i.e. random bytes, so every pattern is made specific enough that
// chance does not produce it (a '<' is one byte in 256; "<svg" followed by a delimiter turns up by
// chance in about one 5 MB photo in 3,000): tag names need the delimiter that ends a tag name, short
// ones (<svg, <img, <html…) also some text after it, and handler names either come from the short list
// of real 3–4-letter ones or are longer and followed by a textual value. Expected false positives on
// random data stay under one per million 5 MB photos. Camera metadata is text but not HTML: XMP
// (<x:xmpmeta>, <rdf:…>, <?xpacket …?>, "exif:ResolutionUnit=") matches none of the patterns.
//
// Speed: the scan jumps between the three bytes every pattern is anchored on ('<', '=', ':') with
// Buffer.indexOf (memchr), so a 5 MiB photo costs a few milliseconds, no string conversion or regex
// over the whole file.

const LT = 0x3c;
const EQUALS = 0x3d;
const COLON = 0x3a;

/** Elements a browser acts on, matched when followed by a tag-name delimiter. */
const ACTIVE_ELEMENTS = new Set([
  'script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'portal', 'style', 'input', 'button', 'isindex',
  'image', 'video', 'audio', 'source', 'foreignobject',
]);
/** Short names (≤ 4 letters): matched only when some text follows, or chance would produce them. */
const SHORT_ELEMENTS = new Set(['svg', 'img', 'math', 'html', 'head', 'body', 'meta', 'link', 'base', 'form']);
/** With a namespace prefix; not the names XMP uses as properties (dc:source, photoshop:Source, …). */
const NAMESPACED_ELEMENTS = new Set(['script', 'svg', 'html', 'body', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'foreignobject', 'math']);
/** Event handlers of 3–4 letters after "on"; longer ones are matched by shape. */
const SHORT_EVENTS = new Set(['blur', 'copy', 'cut', 'drag', 'drop', 'end', 'help', 'load', 'move', 'play', 'show', 'stop', 'zoom']);
/** data: URLs a browser renders as a document. */
const DOCUMENT_DATA_TYPES = ['text/html', 'text/xml', 'image/svg+xml', 'application/xhtml+xml', 'application/xml'];
const NAMESPACE_URIS = ['//www.w3.org/1999/xhtml', '//www.w3.org/2000/svg'];

const isLetter = (b: number | undefined) => b !== undefined && ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a));
const isNameByte = (b: number | undefined) => isLetter(b) || (b !== undefined && ((b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x5f || b === 0x2e));
const isSpace = (b: number | undefined) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d;
/** What ends a tag name in the HTML tokenizer: whitespace, '/' or '>'. */
const endsTagName = (b: number | undefined) => isSpace(b) || b === 0x2f || b === 0x3e;
/** Tab and newlines: the URL parser deletes them anywhere, so "java\tscript:" still runs. */
const isUrlIgnored = (b: number | undefined) => b === 0x09 || b === 0x0a || b === 0x0d;
const isText = (b: number | undefined) => b !== undefined && ((b >= 0x20 && b <= 0x7e) || b === 0x09 || b === 0x0a || b === 0x0d);
const lower = (b: number) => (isLetter(b) ? b | 0x20 : b);

function textRun(bytes: Buffer, at: number, length: number): boolean {
  for (let i = at; i < at + length; i++) if (!isText(bytes[i])) return false;
  return true;
}

/** `word` (lower case) at `at`, case-insensitively. */
function wordAt(bytes: Buffer, at: number, word: string): boolean {
  if (at < 0 || at + word.length > bytes.length) return false;
  for (let i = 0; i < word.length; i++) if (lower(bytes[at + i]!) !== word.charCodeAt(i)) return false;
  return true;
}

/** A lower-cased name of name bytes starting at `at` (at most 20), and where it ends. */
function nameAt(bytes: Buffer, at: number): { name: string; end: number } {
  let end = at;
  while (end - at < 20 && isNameByte(bytes[end])) end++;
  return { name: bytes.toString('latin1', at, end).toLowerCase(), end };
}

/** At '<': an element or declaration a browser acts on. */
function tagAt(bytes: Buffer, at: number): boolean {
  const first = bytes[at + 1];
  if (first === 0x21) return (wordAt(bytes, at + 2, 'doctype') && endsTagName(bytes[at + 9])) || (wordAt(bytes, at + 2, 'entity') && isSpace(bytes[at + 8]));
  if (first === 0x3f) return wordAt(bytes, at + 2, 'xml') && (isSpace(bytes[at + 5]) || bytes[at + 5] === 0x3f || wordAt(bytes, at + 5, '-stylesheet'));
  if (!isLetter(first)) return false;
  const { name, end } = nameAt(bytes, at + 1);
  if (bytes[end] === COLON) {
    const local = nameAt(bytes, end + 1);
    return NAMESPACED_ELEMENTS.has(local.name) && endsTagName(bytes[local.end]);
  }
  if (!endsTagName(bytes[end])) return false;
  return ACTIVE_ELEMENTS.has(name) || (SHORT_ELEMENTS.has(name) && textRun(bytes, end + 1, 8));
}

/** At '=': the end of an event handler attribute name (on + letters after a delimiter) with a value. */
function handlerAt(bytes: Buffer, at: number): boolean {
  let nameEnd = at;
  while (nameEnd > at - 8 && isSpace(bytes[nameEnd - 1])) nameEnd--;
  let nameStart = nameEnd;
  while (nameStart > nameEnd - 32 && isLetter(bytes[nameStart - 1])) nameStart--;
  if (nameEnd - nameStart < 5 || !wordAt(bytes, nameStart, 'on')) return false;
  const before = bytes[nameStart - 1];
  if (!(isSpace(before) || before === 0x2f || before === 0x22 || before === 0x27)) return false;
  const event = bytes.toString('latin1', nameStart + 2, nameEnd).toLowerCase();
  if (SHORT_EVENTS.has(event)) return true;
  if (event.length < 5) return false;
  let value = at + 1;
  while (isSpace(bytes[value])) value++;
  if (bytes[value] === 0x22 || bytes[value] === 0x27) value++;
  return textRun(bytes, value, 4);
}

/** `word` (lower case) ending just before `end`, letters possibly separated by URL-ignored characters. */
function schemeBefore(bytes: Buffer, end: number, word: string): boolean {
  let at = end - 1;
  for (let i = word.length - 1; i >= 0; i--, at--) {
    while (at >= 0 && isUrlIgnored(bytes[at])) at--;
    if (at < 0 || lower(bytes[at]!) !== word.charCodeAt(i)) return false;
  }
  return true;
}

/** At ':': a script URL scheme, a document data: URL or an XHTML/SVG namespace URI. */
function urlAt(bytes: Buffer, at: number): boolean {
  if (isLetter(bytes[at - 1]) || isUrlIgnored(bytes[at - 1])) {
    if (schemeBefore(bytes, at, 'javascript') || schemeBefore(bytes, at, 'vbscript')) return true;
    if (wordAt(bytes, at - 4, 'data')) return DOCUMENT_DATA_TYPES.some((type) => wordAt(bytes, at + 1, type));
  }
  return bytes[at + 1] === 0x2f && NAMESPACE_URIS.some((uri) => wordAt(bytes, at + 1, uri));
}

function anyAt(bytes: Buffer, anchor: number, matches: (bytes: Buffer, at: number) => boolean): boolean {
  for (let at = bytes.indexOf(anchor); at !== -1; at = bytes.indexOf(anchor, at + 1)) {
    if (matches(bytes, at)) return true;
  }
  return false;
}

/** True when HTML, SVG or script a browser would act on appears anywhere in `bytes`. */
export function containsMarkup(bytes: Uint8Array): boolean {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return anyAt(buffer, LT, tagAt) || anyAt(buffer, EQUALS, handlerAt) || anyAt(buffer, COLON, urlAt);
}
