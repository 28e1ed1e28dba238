// A ZIP archive written as a stream (APPNOTE 6.3.10), entry by entry, as its consumer reads it: nothing but the
// entry being copied is in memory, and each entry's bytes are pulled from its source only as fast as the archive is
// read. Images are already compressed, so entries are stored as they are; an entry may ask for deflate (a JSON
// manifest). Sizes and CRC-32 follow each entry's data (a data descriptor), since they are known only once it has
// streamed by. The archive may exceed 4 GiB or 65,535 entries (a person's uploads over the years): the central
// directory then carries ZIP64 offsets, and ZIP64 end records follow it. Each entry itself must stay below 4 GiB
// (ours are images of at most AVATAR_MAX_AVATAR_BYTES, and a manifest).
import { Readable } from 'node:stream';
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipEntry {
  /** The path in the archive ('/'-separated, no leading '/'). */
  name: string;
  /** The bytes: already in memory, or a stream read as the archive is. */
  body: Uint8Array | AsyncIterable<Uint8Array>;
  modified: Date;
  /** Deflate it (in memory bodies only); stored as it is otherwise. */
  deflate?: boolean;
}

export interface ZipOptions {
  /** Write ZIP64 records even where the sizes do not need them (so readers of them can be tested). */
  forceZip64?: boolean;
}

const MAX_32 = 0xffffffff;
const MAX_16 = 0xffff;
/** Bit 3: sizes and CRC in a data descriptor after the data; bit 11: the name is UTF-8. */
const FLAGS = (1 << 3) | (1 << 11);
const STORED = 0;
const DEFLATED = 8;
const VERSION_ZIP64 = 45;
const VERSION_DEFAULT = 20;
/** Version made by: Unix (3), so the external attributes below are file modes. */
const MADE_BY_UNIX = 3 << 8;
/** -rw-r--r-- regular file. */
const FILE_MODE = 0o100644;

interface Written {
  name: Buffer;
  method: number;
  time: number;
  date: number;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
}

/** MS-DOS date and time (2-second resolution, local fields taken as UTC so the archive does not depend on where it is made). */
function dosDateTime(date: Date): { time: number; date: number } {
  const year = Math.min(Math.max(date.getUTCFullYear(), 1980), 2107);
  return {
    time: (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | (date.getUTCSeconds() >> 1),
    date: ((year - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate(),
  };
}

function localHeader(entry: Written): Buffer {
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(VERSION_DEFAULT, 4);
  header.writeUInt16LE(FLAGS, 6);
  header.writeUInt16LE(entry.method, 8);
  header.writeUInt16LE(entry.time, 10);
  header.writeUInt16LE(entry.date, 12);
  // CRC and sizes (14-25) are zero: they follow in the data descriptor.
  header.writeUInt16LE(entry.name.length, 26);
  return Buffer.concat([header, entry.name]);
}

function dataDescriptor(entry: Written): Buffer {
  const descriptor = Buffer.alloc(16);
  descriptor.writeUInt32LE(0x08074b50, 0);
  descriptor.writeUInt32LE(entry.crc, 4);
  descriptor.writeUInt32LE(entry.compressedSize, 8);
  descriptor.writeUInt32LE(entry.size, 12);
  return descriptor;
}

function centralHeader(entry: Written, forceZip64: boolean): Buffer {
  const zip64 = forceZip64 || entry.offset >= MAX_32;
  // The ZIP64 extra field holds the offset (sizes never need it: every entry is below 4 GiB).
  const extra = zip64 ? Buffer.alloc(12) : Buffer.alloc(0);
  if (zip64) {
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(8, 2);
    extra.writeBigUInt64LE(BigInt(entry.offset), 4);
  }
  const header = Buffer.alloc(46);
  header.writeUInt32LE(0x02014b50, 0);
  header.writeUInt16LE(MADE_BY_UNIX | (zip64 ? VERSION_ZIP64 : VERSION_DEFAULT), 4);
  header.writeUInt16LE(zip64 ? VERSION_ZIP64 : VERSION_DEFAULT, 6);
  header.writeUInt16LE(FLAGS, 8);
  header.writeUInt16LE(entry.method, 10);
  header.writeUInt16LE(entry.time, 12);
  header.writeUInt16LE(entry.date, 14);
  header.writeUInt32LE(entry.crc, 16);
  header.writeUInt32LE(entry.compressedSize, 20);
  header.writeUInt32LE(entry.size, 24);
  header.writeUInt16LE(entry.name.length, 28);
  header.writeUInt16LE(extra.length, 30);
  // comment length, disk number, internal attributes: 0
  header.writeUInt32LE((FILE_MODE << 16) >>> 0, 38);
  header.writeUInt32LE(zip64 ? MAX_32 : entry.offset, 42);
  return Buffer.concat([header, entry.name, extra]);
}

function endRecords(count: number, directoryOffset: number, directorySize: number, forceZip64: boolean): Buffer {
  const zip64 = forceZip64 || count >= MAX_16 || directoryOffset >= MAX_32 || directorySize >= MAX_32;
  const parts: Buffer[] = [];
  if (zip64) {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4); // size of the rest of the record
    record.writeUInt16LE(MADE_BY_UNIX | VERSION_ZIP64, 12);
    record.writeUInt16LE(VERSION_ZIP64, 14);
    // this disk, the directory's disk: 0
    record.writeBigUInt64LE(BigInt(count), 24);
    record.writeBigUInt64LE(BigInt(count), 32);
    record.writeBigUInt64LE(BigInt(directorySize), 40);
    record.writeBigUInt64LE(BigInt(directoryOffset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(directoryOffset + directorySize), 8);
    locator.writeUInt32LE(1, 16); // disks in all
    parts.push(record, locator);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip64 ? MAX_16 : count, 8);
  end.writeUInt16LE(zip64 ? MAX_16 : count, 10);
  end.writeUInt32LE(zip64 ? MAX_32 : directorySize, 12);
  end.writeUInt32LE(zip64 ? MAX_32 : directoryOffset, 16);
  parts.push(end);
  return Buffer.concat(parts);
}

async function* chunksOf(body: ZipEntry['body']): AsyncIterable<Uint8Array> {
  if (body instanceof Uint8Array) yield body;
  else yield* body;
}

async function* archive(entries: AsyncIterable<ZipEntry>, options: ZipOptions): AsyncGenerator<Buffer> {
  const written: Written[] = [];
  let offset = 0;
  for await (const entry of entries) {
    let body = entry.body;
    let method = STORED;
    let size: number | null = null;
    let crc = 0;
    if (entry.deflate) {
      if (!(body instanceof Uint8Array)) throw new Error(`zip: ${entry.name}: only a body in memory can be deflated`);
      crc = crc32(body);
      size = body.byteLength;
      body = deflateRawSync(body);
      method = DEFLATED;
    }
    const record: Written = { name: Buffer.from(entry.name, 'utf8'), method, ...dosDateTime(entry.modified), crc: 0, compressedSize: 0, size: 0, offset };
    const header = localHeader(record);
    yield header;
    let copied = 0;
    for await (const chunk of chunksOf(body)) {
      if (method === STORED) crc = crc32(chunk, crc);
      copied += chunk.byteLength;
      if (copied >= MAX_32) throw new Error(`zip: ${entry.name} is 4 GiB or more, which this writer does not store`);
      yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
    Object.assign(record, { crc, compressedSize: copied, size: size ?? copied });
    const descriptor = dataDescriptor(record);
    yield descriptor;
    offset += header.length + copied + descriptor.length;
    written.push(record);
  }
  const directoryOffset = offset;
  let directorySize = 0;
  for (const record of written) {
    const central = centralHeader(record, options.forceZip64 ?? false);
    directorySize += central.length;
    yield central;
  }
  yield endRecords(written.length, directoryOffset, directorySize, options.forceZip64 ?? false);
}

/** The archive of `entries` (read one after the other, as the stream is read). */
export function zipStream(entries: AsyncIterable<ZipEntry>, options: ZipOptions = {}): Readable {
  return Readable.from(archive(entries, options), { objectMode: false, highWaterMark: 64 * 1024 });
}
