// The export's ZIP writer (server/people/zip-stream.ts), in-process: archives that Info-ZIP's unzip (Debian's
// `unzip`) tests and extracts byte for byte, with ZIP64 records too, and a stream that reads each entry only as fast
// as the archive is read (nothing is buffered ahead).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { zipStream, type ZipEntry } from '../../server/people/zip-stream.ts';

const run = promisify(execFile);
const MiB = 1024 * 1024;

/** `total` bytes in 64 KiB chunks made on demand (a pattern that differs per chunk), counting how many were made. */
function lazySource(total: number, counter: { made: number }): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < total; at += 64 * 1024) {
        const chunk = Buffer.alloc(Math.min(64 * 1024, total - at), (at / 65536) & 0xff);
        counter.made += chunk.length;
        yield chunk;
      }
    })(),
  );
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('zipStream', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'avatar-zip-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const entries = (): ZipEntry[] => [
    { name: 'uploads/f_1/original.jpg', body: Buffer.from('not really a jpeg'), modified: new Date('2024-02-29T13:14:16Z') },
    { name: 'uploads/f_1/256.webp', body: Readable.from([Buffer.from('chunk one, '), Buffer.from('chunk two')]), modified: new Date('2024-02-29T13:14:16Z') },
    { name: 'émotes/ünïcode.txt', body: Buffer.from('UTF-8 names'), modified: new Date('2030-01-01T00:00:00Z') },
    { name: 'manifest.json', body: Buffer.from(JSON.stringify({ files: Array.from({ length: 200 }, (_, i) => ({ id: `f_${i}` })) })), modified: new Date(), deflate: true },
    { name: 'empty', body: Buffer.alloc(0), modified: new Date() },
  ];

  for (const forceZip64 of [false, true]) {
    test(`unzip tests and extracts it byte for byte${forceZip64 ? ' with ZIP64 records' : ''}`, async () => {
      const path = join(dir, `archive-${forceZip64}.zip`);
      await pipeline(zipStream((async function* () { yield* entries(); })(), { forceZip64 }), createWriteStream(path));
      const tested = await run('unzip', ['-t', path]);
      assert.match(tested.stdout, /No errors detected in compressed data/);
      assert.doesNotMatch(tested.stdout + tested.stderr, /warning/i);
      const listing = await run('unzip', ['-Z', '-v', path], { maxBuffer: 8 * MiB });
      const zip64Fields = listing.stdout.match(/subfield with ID 0x0001 \(PKWARE 64-bit sizes\)/g) ?? [];
      assert.equal(zip64Fields.length, forceZip64 ? entries().length : 0, 'ZIP64 offsets in the central directory');
      const bytes = await readFile(path);
      assert.equal(bytes.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])), forceZip64, 'the ZIP64 end of central directory record');
      assert.match((await run('unzip', ['-l', path])).stdout, /(2024-02-29|02-29-2024) 13:14/, 'the modification time');
      for (const entry of entries()) {
        const expected = Buffer.isBuffer(entry.body) ? entry.body : Buffer.concat(await (entry.body as Readable).toArray());
        const actual = (await run('unzip', ['-p', path, entry.name], { encoding: 'buffer', maxBuffer: 8 * MiB })).stdout;
        assert.equal(sha256(actual), sha256(expected), entry.name);
      }
    });
  }

  test('reads an entry only as fast as the archive is read: 48 MiB go through with little ahead of the reader', async () => {
    const counter = { made: 0 };
    const total = 48 * MiB;
    const archive = zipStream((async function* () {
      yield { name: 'big.bin', body: lazySource(total, counter), modified: new Date() };
    })());
    let read = 0;
    let mostAhead = 0;
    for await (const chunk of archive) {
      read += (chunk as Buffer).length;
      mostAhead = Math.max(mostAhead, counter.made - read);
      // A slow reader: the next chunk only after a turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(read > total, `the whole archive was read (${read} bytes)`);
    assert.ok(mostAhead < 2 * MiB, `at most ${(mostAhead / MiB).toFixed(2)} MiB were read from the source ahead of the archive's reader`);
  });
});
