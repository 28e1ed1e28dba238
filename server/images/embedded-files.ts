// Another file format hidden inside an image (issue 13), anywhere in it: not only appended (which
// trailing-data.ts refuses) but also inside the image's own structure, e.g. a ZIP in a JPEG comment
// segment before the EOI or in a PNG chunk before IEND. Unzippers find a ZIP by its end record,
// which may sit anywhere in the last 64 KiB; PDF readers find "%PDF-" anywhere in the first KiB
// and some anywhere at all; RAR and 7-Zip scan for their signatures. Each check needs enough fixed
// bytes that compressed image data does not produce it by chance.

/** A ZIP end-of-central-directory record at `at` that points at a central directory entry. */
function zipEndRecordAt(bytes: Buffer, at: number): boolean {
  if (at + 22 > bytes.length) return false;
  const entries = bytes.readUInt16LE(at + 10);
  const directorySize = bytes.readUInt32LE(at + 12);
  const directoryOffset = bytes.readUInt32LE(at + 16);
  if (entries === 0 || bytes.readUInt16LE(at + 8) !== entries) return false; // an empty ZIP holds nothing
  const isDirectoryEntry = (offset: number) => offset >= 0 && offset + 4 <= at && bytes.readUInt32LE(offset) === 0x02014b50; // "PK\1\2"
  // Readers accept the directory where the record says, or just before the record (data prepended to the ZIP).
  const zip64 = at >= 20 && bytes.readUInt32LE(at - 20) === 0x07064b50; // "PK\6\7": the real sizes are elsewhere
  return zip64 || isDirectoryEntry(directoryOffset) || isDirectoryEntry(at - directorySize);
}

const ZIP_END = Buffer.from('PK\x05\x06', 'latin1');
const PDF = Buffer.from('%PDF-', 'latin1');
const RAR = Buffer.from('Rar!\x1a\x07', 'latin1');
const SEVEN_ZIP = Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]);
const isDigit = (b: number | undefined) => b !== undefined && b >= 0x30 && b <= 0x39;

function occurrences(bytes: Buffer, signature: Buffer, matches: (at: number) => boolean): boolean {
  for (let at = bytes.indexOf(signature); at !== -1; at = bytes.indexOf(signature, at + 1)) if (matches(at)) return true;
  return false;
}

/** What other kind of file `bytes` also are ("a ZIP archive", …), or null. */
export function embeddedFileKind(bytes: Buffer): string | null {
  if (occurrences(bytes, ZIP_END, (at) => zipEndRecordAt(bytes, at))) return 'a ZIP archive';
  // "%PDF-1.7": the version makes the header specific enough.
  if (occurrences(bytes, PDF, (at) => isDigit(bytes[at + 5]) && bytes[at + 6] === 0x2e && isDigit(bytes[at + 7]))) return 'a PDF document';
  if (bytes.includes(RAR)) return 'a RAR archive';
  if (bytes.includes(SEVEN_ZIP)) return 'a 7z archive';
  return null;
}
