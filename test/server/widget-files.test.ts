// GET /widget/assets/{name}: the binary data the widget's chunks fetch (the default crop's face model), from the
// build in dist/widget, under strict names only (server process).
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { compactFaceModel } from '../../media/default-crop/model-file.ts';
import { api, fetchBytes, startServer, type RunningServer } from '../helpers/server.ts';
import { viteBuild } from '../helpers/vite-build.ts';

const assetsDir = join(fileURLToPath(new URL('../..', import.meta.url)), 'dist', 'widget', 'assets');

describe('GET /widget/assets/{name}', () => {
  let server: RunningServer;
  let model: string;
  before(async () => {
    if (!existsSync(assetsDir)) await viteBuild(); // `npm test` builds first; a lone run of this file may not have
    model = readdirSync(assetsDir).find((name) => /^face-model-[\w-]+\.bin$/.test(name))!;
    assert.ok(model, `no face-model-*.bin in ${assetsDir}`);
    server = await startServer();
  });
  after(() => server?.stop());

  test('serves the face model the build emitted: the very bytes the server runs, binary, immutable, to any origin', async () => {
    const url = `${server.url}/widget/assets/${model}`;
    const plain = await fetchBytes(url, { origin: 'https://host.example', 'accept-encoding': 'identity' });
    assert.equal(plain.status, 200);
    assert.deepEqual(new Uint8Array(plain.bytes), compactFaceModel());
    assert.equal(plain.headers.get('content-type'), 'application/octet-stream');
    assert.equal(plain.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(plain.headers.get('access-control-allow-origin'), '*');
    assert.equal(plain.headers.get('x-content-type-options'), 'nosniff');

    const compressed = await fetchBytes(url, { 'accept-encoding': 'br' });
    assert.equal(compressed.headers.get('content-encoding'), 'br');
    assert.deepEqual(compressed.bytes, plain.bytes);
    const etag = compressed.headers.get('etag')!;
    assert.equal((await fetchBytes(url, { 'accept-encoding': 'br', 'if-none-match': etag })).status, 304);
  });

  test('serves nothing else: other files of the folder, other extensions, encoded paths, long names', async () => {
    const others = readdirSync(assetsDir).filter((name) => !name.endsWith('.bin'));
    const names = [
      ...others, // source maps the build writes there
      model.replace(/\.bin$/, '.BIN'),
      `${model}.map`,
      'face-model-missing.bin',
      `..%2F${readdirSync(join(assetsDir, '..')).find((name) => name.endsWith('.js'))}`,
      '%2E%2E%2F%2E%2E%2Fpackage.json',
      `${'a'.repeat(101)}.bin`,
      `${model}%00.js`,
    ];
    for (const name of names) {
      const res = await api(server, 'GET', `/widget/assets/${name}`);
      assert.equal(res.status, 404, name);
      assert.equal(res.json.error.code, 'NOT_FOUND', name);
    }
  });
});
