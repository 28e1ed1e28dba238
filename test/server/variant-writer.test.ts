// The variant writer of a render job (server/renditions/service.ts): writes start as variants are handed over, and
// close() waits for every one of them; after close nothing more is written (an encode that ends after a
// timeout), and a failed write is reported only once no other write is still running.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Deps } from '../../server/deps.ts';
import type { AvatarVariant } from '../../server/images/pipeline.ts';
import { variantWriter } from '../../server/renditions/service.ts';
import type { Storage } from '../../server/storage/index.ts';
import { createLocalStorage } from '../../server/storage/local.ts';
import { listFiles } from '../helpers/server.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'avatar-writer-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const variant = (size: string, fill: number): AvatarVariant => ({ size, width: 8, height: 8, data: Buffer.alloc(64, fill), contentType: 'image/webp' });
const depsWith = (storage: Storage) => ({ storage }) as unknown as Deps;

test('every variant handed over is stored, under private/ when asked; close() resolves with their rows', async () => {
  const storage = createLocalStorage(join(dir, 'a'));
  const writer = variantWriter(depsWith(storage), 'r1', 'private');
  writer.store(variant('256', 1));
  writer.store(variant('64', 2));
  const rows = await writer.close();
  assert.deepEqual(rows.map((row) => row.size), ['256', '64']);
  for (const row of rows) assert.match(row.key, /^private\/r1\/(256|64)-[0-9a-f]{32}\.webp$/);
  assert.deepEqual(await listFiles(join(dir, 'a', 'objects')), rows.map((row) => row.key).sort());
});

test('nothing handed over after close() is written', async () => {
  const real = createLocalStorage(join(dir, 'b'));
  const written: string[] = [];
  const storage: Storage = { ...real, put: (key, body, opts) => (written.push(key), real.put(key, body, opts)) };
  const writer = variantWriter(depsWith(storage), 'r2', 'public');
  writer.store(variant('256', 1));
  const rows = await writer.close();
  writer.store(variant('64', 2)); // an encode that finished after the render timed out
  assert.deepEqual(written, [rows[0]!.key], 'no write was started after close()');
  assert.deepEqual(await listFiles(join(dir, 'b', 'objects')), [rows[0]!.key]);
});

test('a failed write rejects close(), but only once the other writes have ended', async () => {
  const real = createLocalStorage(join(dir, 'c'));
  let releaseSlow!: () => void;
  const slowDone = new Promise<void>((resolve) => (releaseSlow = resolve));
  let slowFinished = false;
  const storage: Storage = {
    ...real,
    async put(key, body, opts) {
      if (key.includes('/64-')) throw new Error('storage down');
      await slowDone;
      const n = await real.put(key, body, opts);
      slowFinished = true;
      return n;
    },
  };
  const writer = variantWriter(depsWith(storage), 'r3', 'public');
  writer.store(variant('256', 1));
  writer.store(variant('64', 2)); // fails at once, while 256 is still being written
  const closed = writer.close();
  let settled = false;
  closed.catch(() => {}).finally(() => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false, 'close() waits for the write still running');
  releaseSlow();
  await assert.rejects(closed, /storage down/);
  assert.equal(slowFinished, true);
});
