// Local-folder storage: objects are files under DATA_DIR/objects, written to a temp file and renamed into place.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ObjectLengthError, ObjectTooLargeError, type ObjectHead, type PutOptions, type Storage, type StoredObject } from './index.ts';

export function createLocalStorage(dataDir: string): Storage {
  const root = resolve(dataDir, 'objects');
  const tmpDir = resolve(dataDir, 'tmp');

  const pathOf = (key: string) => {
    const path = resolve(root, key);
    if (!path.startsWith(root + sep) || key.includes('\0')) throw new Error(`invalid object key: ${key}`);
    return path;
  };
  const notFound = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

  return {
    // The app receives uploads itself (access/url-signing.ts) and serves every object through /cdn.
    capabilities: { presignedPut: false, publicUrls: false, presignedGet: false },

    async put(key: string, body: Readable | Uint8Array, opts: PutOptions = {}) {
      const target = pathOf(key);
      await mkdir(dirname(target), { recursive: true });
      await mkdir(tmpDir, { recursive: true });
      const temp = join(tmpDir, `${randomBytes(8).toString('hex')}.part`);
      let length = 0;
      const limit = Math.min(opts.maxBytes ?? Infinity, opts.exactBytes ?? Infinity);
      const tooLong = () => (opts.exactBytes !== undefined ? new ObjectLengthError(opts.exactBytes, length) : new ObjectTooLargeError(limit));
      let file: WriteStream | null = null;
      try {
        if (body instanceof Uint8Array) {
          length = body.byteLength;
          if (length > limit) throw tooLong();
          await writeFile(temp, body);
        } else {
          const counter = new Transform({
            transform(chunk: Buffer, _enc, done) {
              length += chunk.length;
              // Stop as soon as the body is too long instead of storing it first.
              if (length > limit) done(tooLong());
              else done(null, chunk);
            },
          });
          file = createWriteStream(temp);
          await pipeline(body, counter, file);
        }
        if (opts.exactBytes !== undefined && length !== opts.exactBytes) throw new ObjectLengthError(opts.exactBytes, length);
        await rename(temp, target);
        return length;
      } catch (err) {
        // A pipeline can fail before its file is even open (a body that errors at once): removed before the open
        // completes, the temp file would reappear. Wait until the stream has let go of it.
        if (file && !file.closed) await new Promise<void>((settle) => file!.once('close', () => settle()));
        await rm(temp, { force: true });
        throw err;
      }
    },

    async get(key: string): Promise<StoredObject | null> {
      const path = pathOf(key);
      try {
        const { size } = await stat(path);
        return { body: createReadStream(path), size };
      } catch (err) {
        if (notFound(err)) return null;
        throw err;
      }
    },

    async getBytes(key: string) {
      try {
        return await readFile(pathOf(key));
      } catch (err) {
        if (notFound(err)) return null;
        throw err;
      }
    },

    async exists(key: string) {
      try {
        return (await stat(pathOf(key))).isFile();
      } catch (err) {
        if (notFound(err)) return false;
        throw err;
      }
    },

    async delete(key: string) {
      try {
        await unlink(pathOf(key));
      } catch (err) {
        if (!notFound(err)) throw err;
      }
    },

    async deletePrefix(prefix: string) {
      if (!prefix.endsWith('/')) throw new Error(`prefix must end in '/': ${prefix}`);
      await rm(pathOf(prefix.slice(0, -1)), { recursive: true, force: true });
    },

    async removeStaleTemp(before: number) {
      let removed = 0;
      const names = await readdir(tmpDir).catch((err: unknown) => {
        if (notFound(err)) return [];
        throw err;
      });
      for (const name of names) {
        const path = join(tmpDir, name);
        const info = await stat(path).catch(() => null); // gone already: finished or removed meanwhile
        if (!info?.isFile() || info.mtimeMs >= before) continue;
        await rm(path, { force: true });
        removed++;
      }
      return removed;
    },

    async check() {
      await mkdir(tmpDir, { recursive: true });
      const probe = join(tmpDir, `ready-${randomBytes(4).toString('hex')}`);
      await writeFile(probe, 'ok');
      await unlink(probe);
    },

    async head(key: string): Promise<ObjectHead | null> {
      try {
        const info = await stat(pathOf(key));
        return info.isFile() ? { size: info.size, contentType: null } : null;
      } catch (err) {
        if (notFound(err)) return null;
        throw err;
      }
    },

    // The app signs, receives and serves objects itself (access/url-signing.ts, /cdn): nothing to presign or point at.
    presignPut: async () => null,
    presignGet: async () => null,
    publicUrl: () => null,
    browserOrigins: () => [],
    close: async () => {},
  };
}
