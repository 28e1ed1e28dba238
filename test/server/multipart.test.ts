// One-request uploads (POST /v1/users/me/avatar and its admin twin) read as streams: multipart/form-data through
// busboy and raw bodies, against a real server process. Malformed bodies get precise 400s, bodies over the limit
// 413 FILE_TOO_LARGE, and a fuzz run of random and mutated bodies never gets a 5xx or leaves anything behind.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { jpeg, png } from '../fixtures/images.ts';
import { queryDb } from '../helpers/database.ts';
import { api, expectError, expectErrorShape, listFiles, startServer, userToken, waitForFile, type ApiResponse, type RunningServer } from '../helpers/server.ts';

const MAX = 64 * 1024; // AVATAR_MAX_AVATAR_BYTES of this file's server: small bodies, same code paths
const BOUNDARY = 'testBoundary7MA4YWxkTrZu0gW';

interface Part {
  headers: string[];
  body: string | Uint8Array;
}

const field = (name: string, value: string): Part => ({ headers: [`Content-Disposition: form-data; name="${name}"`], body: value });
const filePart = (bytes: Uint8Array, opts: { name?: string; filename?: string; type?: string } = {}): Part => ({
  headers: [`Content-Disposition: form-data; name="${opts.name ?? 'avatar'}"; filename="${opts.filename ?? 'me.jpg'}"`, `Content-Type: ${opts.type ?? 'image/jpeg'}`],
  body: bytes,
});

/** A multipart body written out by hand, so every byte of it is under the test's control. */
function multipart(parts: Part[], boundary = BOUNDARY): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) chunks.push(Buffer.from(`--${boundary}\r\n${part.headers.join('\r\n')}\r\n\r\n`), Buffer.from(part.body), Buffer.from('\r\n'));
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

const formType = (boundary = BOUNDARY) => `multipart/form-data; boundary=${boundary}`;

/** Sends `bytes` as a chunked body (no Content-Length) in pieces of the given sizes, cycling. */
function chunked(bytes: Uint8Array, sizes: number[] = [1000]): ReadableStream<Uint8Array> {
  let at = 0;
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      const size = Math.max(1, sizes[i++ % sizes.length]!);
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

/** A copy typed as fetch wants it (a Buffer may be a view of a shared pool). */
const asBody = (body: Uint8Array | ReadableStream<Uint8Array>): BodyInit => (body instanceof Uint8Array ? new Uint8Array(body) : body);

/** Small deterministic PRNG (mulberry32): a failing fuzz case is reproduced by its seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (max: number) => Math.floor(next() * max), bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256))) };
}

/** Every documented answer of a one-request upload, by status. */
const DOCUMENTED: Record<number, string[]> = {
  400: ['MULTIPART_INVALID', 'INVALID_REQUEST', 'CROP_INVALID'],
  413: ['FILE_TOO_LARGE'],
  415: ['UNSUPPORTED_MEDIA_TYPE'],
};

function assertDocumented(res: ApiResponse, context: string) {
  const why = `${context}: ${res.status} ${res.text.slice(0, 300)}`;
  assert.ok(res.status < 500, why);
  if (res.status === 202) {
    assert.deepEqual(Object.keys(res.json ?? {}).sort(), ['file_id', 'processing_state'], why);
    return;
  }
  const codes = DOCUMENTED[res.status];
  assert.ok(codes, `undocumented status: ${why}`);
  expectErrorShape(res);
  assert.ok(codes.includes(res.json.error.code), `undocumented code: ${why}`);
}

/** The next whole HTTP/1.1 response on `socket` (its body has a Content-Length), as text; rejects if the socket ends first. */
function readResponse(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const headEnd = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, headEnd))?.[1];
      if (headEnd < 0 || length === undefined || text.length < headEnd + 4 + Number(length)) return;
      done();
      resolve(text);
    };
    const onEnd = () => {
      done();
      reject(new Error(`the connection ended before a whole response: ${JSON.stringify(text)}`));
    };
    const done = () => socket.off('data', onData).off('end', onEnd).off('error', onEnd).off('close', onEnd);
    socket.on('data', onData).on('end', onEnd).on('error', onEnd).on('close', onEnd);
  });
}

describe('one-request uploads: streamed multipart/form-data and raw bodies', () => {
  let server: RunningServer;
  let image: Uint8Array;
  let token: string;
  const post = (body: Uint8Array | ReadableStream<Uint8Array>, contentType: string, headers: Record<string, string> = {}) =>
    api(server, 'POST', '/v1/users/me/avatar', { token, body: asBody(body), headers: { 'content-type': contentType, ...headers } });

  before(async () => {
    server = await startServer({ env: { AVATAR_MAX_AVATAR_BYTES: String(MAX), AVATAR_UPLOAD_RATE_LIMIT: '100000' } });
    image = await jpeg(40, 30);
    token = userToken(server, 'streamer');
  });
  after(async () => {
    await server?.stop();
  });

  /** Every files row, straight from the database. */
  const fileRows = () =>
    queryDb<{ id: string; owner_id: string; filename: string; state: string; received: number; size_bytes: number }>(server, 'select id, owner_id, filename, state, received, size_bytes from files');
  const originals = async () => (await server.objects.keys('originals/')).map((key) => key.slice('originals/'.length));
  const temps = () => listFiles(join(server.dataDir, 'tmp'));

  test('fields before or after the file: the crop is used, the size is the stored one, the avatar is set', async () => {
    for (const [label, parts] of [
      ['fields first', [field('crop_x', '4'), field('crop_y', '2'), field('crop_w', '20'), filePart(image)]],
      ['fields last', [filePart(image), field('crop_x', '4'), field('crop_y', '2'), field('crop_w', '20'), field('crop_h', '20')]],
    ] as const) {
      const res = await post(multipart([...parts]), formType());
      assert.equal(res.status, 202, `${label}: ${res.text}`);
      const file = await waitForFile(server, token, res.json.file_id);
      assert.equal(file.processing_state, 'ready', label);
      assert.equal(file.size_bytes, image.byteLength, label);
      assert.equal(file.content_type, 'image/jpeg');
      const avatar = await api(server, 'GET', '/v1/users/streamer/avatar?size=cropped');
      assert.equal(avatar.json.width, 20, `${label}: the crop fields were used`);
    }
  });

  test('a chunked body in odd pieces, a quoted boundary, unknown fields, preamble and epilogue are all fine', async () => {
    const body = Buffer.concat([Buffer.from('preamble to ignore\r\n'), multipart([field('note', 'hello'), filePart(image)]), Buffer.from('epilogue to ignore')]);
    const res = await post(chunked(body, [1, 7, 64, 3, 500]), `multipart/form-data; boundary="${BOUNDARY}"`);
    assert.equal(res.status, 202, res.text);
    assert.equal((await waitForFile(server, token, res.json.file_id)).size_bytes, image.byteLength);
  });

  const malformed: Array<[string, string, () => Buffer]> = [
    ['no boundary parameter', 'multipart/form-data', () => multipart([filePart(image)])],
    ['an empty boundary', 'multipart/form-data; boundary=', () => multipart([filePart(image)])],
    ['a boundary that is not in the body', formType('somethingElse'), () => multipart([filePart(image)])],
    ['an empty body', formType(), () => Buffer.alloc(0)],
    ['a body cut off inside the file', formType(), () => multipart([filePart(image)]).subarray(0, 300)],
    ['no closing boundary', formType(), () => multipart([filePart(image)]).subarray(0, -(BOUNDARY.length + 6))],
    ['a closing boundary without its final dashes', formType(), () => Buffer.from(multipart([filePart(image)]).toString('latin1').replace(`--${BOUNDARY}--`, `--${BOUNDARY}`), 'latin1')],
    ['a part header without a colon', formType(), () => multipart([{ headers: ['Content-Disposition form-data; name="avatar"'], body: image }])],
    ['a part header over 16 KiB', formType(), () => multipart([{ headers: [...filePart(image).headers, `X-Pad: ${'a'.repeat(17 * 1024)}`], body: image }])],
    ['LF instead of CRLF line ends', formType(), () => Buffer.from(multipart([filePart(image)]).toString('latin1').replaceAll('\r\n', '\n'), 'latin1')],
    ['two file parts', formType(), () => multipart([filePart(image), filePart(image, { filename: 'second.jpg' })])],
    ['more than 8 text fields', formType(), () => multipart([...Array.from({ length: 9 }, (_, i) => field(`f${i}`, 'x')), filePart(image)])],
    ['more than 10 parts', formType(), () => multipart([...Array.from({ length: 7 }, (_, i) => field(`f${i}`, 'x')), ...Array.from({ length: 4 }, () => ({ headers: ['X-No-Disposition: 1'], body: 'x' })), filePart(image)])],
  ];
  for (const [name, contentType, body] of malformed) {
    test(`400 MULTIPART_INVALID: ${name}`, async () => {
      const res = await post(body(), contentType);
      expectError(res, 400, 'MULTIPART_INVALID');
    });
  }

  const invalid: Array<[string, () => Buffer, RegExp]> = [
    ['no "avatar" part', () => multipart([field('crop_x', '1')]), /avatar/],
    ['the file under another name', () => multipart([filePart(image, { name: 'picture' })]), /picture/],
    ['"avatar" as a text field', () => multipart([field('avatar', 'not a file')]), /avatar/],
    ['a crop field that is not a whole number', () => multipart([field('crop_x', '1.5'), field('crop_y', '0'), field('crop_w', '10'), filePart(image)]), /crop_x/],
    ['a crop field given twice', () => multipart([field('crop_x', '1'), field('crop_x', '2'), filePart(image)]), /crop_x/],
    ['a crop field over 1 KiB', () => multipart([field('crop_w', '1'.repeat(2000)), filePart(image)]), /crop_w/],
  ];
  for (const [name, body, mentions] of invalid) {
    test(`400 INVALID_REQUEST: ${name}`, async () => {
      const res = await post(body(), formType());
      expectError(res, 400, 'INVALID_REQUEST');
      assert.match(res.json.error.message, mentions);
    });
  }

  test('400 CROP_INVALID and 415 UNSUPPORTED_MEDIA_TYPE are judged on the whole body too', async () => {
    expectError(await post(multipart([filePart(image), field('crop_x', '0'), field('crop_y', '0'), field('crop_w', '10'), field('crop_h', '12')]), formType()), 400, 'CROP_INVALID');
    for (const type of ['text/plain', 'image/svg+xml', 'application/octet-stream']) {
      expectError(await post(multipart([filePart(image, { type })]), formType()), 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
    expectError(await post(multipart([filePart(Buffer.alloc(0))]), formType()), 400, 'INVALID_REQUEST');
    expectError(await post(image, 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await post(multipart([filePart(image)]), `multipart/mixed; boundary=${BOUNDARY}`), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  test('413 FILE_TOO_LARGE for any body or file over the limit, declared or streamed; exactly the limit is accepted', async () => {
    const atLimit = Buffer.alloc(MAX, 0x41);
    atLimit.set(image);
    const accepted = await post(multipart([filePart(atLimit)]), formType());
    assert.equal(accepted.status, 202, accepted.text);
    assert.equal((await waitForFile(server, token, accepted.json.file_id)).size_bytes, MAX);

    const over = Buffer.alloc(MAX + 1, 0x41);
    over.set(image);
    expectError(await post(multipart([filePart(over)]), formType()), 413, 'FILE_TOO_LARGE');
    expectError(await post(chunked(multipart([filePart(over)]), [4096]), formType()), 413, 'FILE_TOO_LARGE');
    // A body whose declared length is over the limit is refused unread, whatever its parts.
    const huge = multipart([field('pad', 'x'.repeat(1000)), filePart(Buffer.alloc(MAX + 70 * 1024, 0x41))]);
    expectError(await post(huge, formType()), 413, 'FILE_TOO_LARGE');
    // Over the body limit with no file too large (an endless preamble), streamed: still FILE_TOO_LARGE.
    const streamed = await post(chunked(Buffer.concat([Buffer.alloc(MAX + 70 * 1024, 0x20), multipart([filePart(image)])]), [8192]), formType());
    expectError(streamed, 413, 'FILE_TOO_LARGE');
    // The rest of a refused body was read and dropped: the connection stays usable.
    assert.notEqual(streamed.headers.get('connection'), 'close');
    assert.equal((await api(server, 'GET', '/healthz')).status, 200);

    // Raw bodies: the same code, declared or streamed.
    expectError(await post(over, 'image/jpeg'), 413, 'FILE_TOO_LARGE');
    expectError(await post(chunked(over, [4096]), 'image/jpeg'), 413, 'FILE_TOO_LARGE');
  });

  test('a client that stalls while sending a body declared too large still reads its 413, on a connection it can reuse', async () => {
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    await once(socket, 'connect');
    const body = Buffer.alloc(MAX + 1, 0x41);
    socket.write(`POST /v1/users/me/avatar HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${token}\r\nContent-Type: image/jpeg\r\nContent-Length: ${body.length}\r\n\r\n`);
    socket.write(body.subarray(0, 1000));
    // The client's own stall (a slow link), longer than the half second @hono/node-server waits for the rest of a
    // body answered unread before it resets the connection.
    await pause(700);
    socket.write(body.subarray(1000));
    const refused = await readResponse(socket);
    assert.match(refused, /^HTTP\/1\.1 413 /);
    assert.match(refused, /"code":"FILE_TOO_LARGE"/);
    socket.write(`GET /healthz HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`);
    assert.match(await readResponse(socket), /^HTTP\/1\.1 200 /);
    socket.destroy();
  });

  test('raw bodies stream too: no Content-Length needed; the crop comes from the query and is checked before reading', async () => {
    const res = await api(server, 'POST', '/v1/users/me/avatar?crop_x=0&crop_y=0&crop_w=30', { token, body: asBody(chunked(image, [100])), headers: { 'content-type': 'image/jpeg' } });
    assert.equal(res.status, 202, res.text);
    const file = await waitForFile(server, token, res.json.file_id);
    assert.equal(file.size_bytes, image.byteLength);
    assert.equal((await api(server, 'GET', '/v1/users/streamer/avatar?size=cropped')).json.width, 30);
    const before = await originals();
    expectError(await api(server, 'POST', '/v1/users/me/avatar?crop_x=0&crop_y=0&crop_w=10&crop_h=11', { token, body: asBody(image), headers: { 'content-type': 'image/jpeg' } }), 400, 'CROP_INVALID');
    expectError(await api(server, 'POST', '/v1/users/me/avatar?crop_x=a', { token, body: asBody(image), headers: { 'content-type': 'image/jpeg' } }), 400, 'INVALID_REQUEST');
    expectError(await post(Buffer.alloc(0), 'image/jpeg'), 400, 'INVALID_REQUEST');
    assert.deepEqual(await originals(), before, 'refused raw bodies store nothing');
  });

  test('file names are kept without path or control characters and cut to 255 characters', async () => {
    const cases: Array<[string, string]> = [
      [`filename="${'é'.repeat(300)}.jpg"`, 'é'.repeat(255)],
      ['filename="../../etc/passwd"', 'passwd'],
      ["filename*=UTF-8''tab%09and%01bell%0A.jpg", 'tabandbell.jpg'],
      ['filename="   "', 'avatar'],
    ];
    for (const [param, stored] of cases) {
      const part = { headers: [`Content-Disposition: form-data; name="avatar"; ${param}`, 'Content-Type: image/jpeg'], body: image };
      const res = await post(multipart([part]), formType());
      assert.equal(res.status, 202, res.text);
      const row = (await fileRows()).find((r) => r.id === res.json.file_id);
      assert.equal(row?.filename, stored, param);
    }
  });

  test('the admin twin reads the same way', async () => {
    const admin = { authorization: `Bearer ${server.adminKey}` };
    const ok = await api(server, 'POST', '/v1/admin/users/twin/avatar', { headers: { ...admin, 'content-type': formType() }, body: asBody(multipart([filePart(image)])) });
    assert.equal(ok.status, 202, ok.text);
    assert.equal((await waitForFile(server, userToken(server, 'twin'), ok.json.file_id)).processing_state, 'ready');
    const bad = await api(server, 'POST', '/v1/admin/users/twin/avatar', { headers: { ...admin, 'content-type': 'multipart/form-data' }, body: asBody(multipart([filePart(image)])) });
    expectError(bad, 400, 'MULTIPART_INVALID');
    const big = await api(server, 'POST', '/v1/admin/users/twin/avatar', { headers: { ...admin, 'content-type': formType() }, body: asBody(multipart([filePart(Buffer.alloc(MAX + 1))])) });
    expectError(big, 413, 'FILE_TOO_LARGE');
  });

  test('fuzz: random and mutated bodies never get a 5xx, always a documented answer, and leave nothing half-written', async (t) => {
    const seed = Number(process.env.FUZZ_SEED ?? 20261201);
    t.diagnostic(`seed ${seed} (FUZZ_SEED=${seed} reproduces this run)`);
    const rand = prng(seed);
    const fuzzUser = 'fuzzer';
    const fuzzToken = userToken(server, fuzzUser);
    const small = await png(12, 12);
    const base = multipart([field('crop_x', '0'), field('crop_y', '0'), field('crop_w', '10'), filePart(small, { type: 'image/png', filename: 'small.png' })]);
    const text = base.toString('latin1');
    const latin1 = (s: string) => Buffer.from(s, 'latin1');

    interface Case {
      name: string;
      body: Buffer;
      contentType?: string;
      /** The one answer this case must get, when it is certain. */
      expect?: number | string;
    }
    const cases: Case[] = [{ name: 'the unmutated body', body: base, expect: 202 }];

    // Truncation at every few bytes: anything short of the closing delimiter is malformed.
    const closeEnd = text.lastIndexOf('--') + 2;
    for (let at = 0; at < base.length; at += 3) cases.push({ name: `truncated at ${at}`, body: base.subarray(0, at), expect: at < closeEnd ? 'MULTIPART_INVALID' : 202 });

    // Boundaries missing, wrong, duplicated or odd.
    const boundaryCases: Array<[string, string, Buffer, (number | string)?]> = [
      ['no boundary', 'multipart/form-data', base, 'MULTIPART_INVALID'],
      ['boundary= (empty)', 'multipart/form-data; boundary=', base, 'MULTIPART_INVALID'],
      ['wrong boundary', formType('nope'), base, 'MULTIPART_INVALID'],
      ['boundary is a prefix of the real one', formType(BOUNDARY.slice(0, 10)), base],
      ['boundary given twice (right first)', `${formType()}; boundary=nope`, base],
      ['boundary given twice (wrong first)', `multipart/form-data; boundary=nope; boundary=${BOUNDARY}`, base],
      ['quoted boundary', `multipart/form-data; boundary="${BOUNDARY}"`, base, 202],
      ['unterminated quoted boundary', `multipart/form-data; boundary="${BOUNDARY}`, base],
      ['upper-case media type', `MULTIPART/FORM-DATA; BOUNDARY=${BOUNDARY}`, base],
      ['trailing parameters', `${formType()}; charset=utf-8`, base, 202],
      ['multipart/form-datax', `multipart/form-datax; boundary=${BOUNDARY}`, base, 'MULTIPART_INVALID'],
      ['boundary of 200 characters', formType('b'.repeat(200)), multipart([filePart(small, { type: 'image/png' })], 'b'.repeat(200))],
      ['delimiter line doubled', formType(), latin1(text.replace(`--${BOUNDARY}\r\n`, `--${BOUNDARY}\r\n--${BOUNDARY}\r\n`))],
      ['closing delimiter twice', formType(), Buffer.concat([base, latin1(`--${BOUNDARY}--\r\n`)]), 202],
      // busboy still reads the rest of the chunk that holds the closing delimiter: what follows depends on chunking.
      ['closing delimiter first', formType(), Buffer.concat([latin1(`--${BOUNDARY}--\r\n`), base])],
      ['boundary inside a field value', formType(), multipart([field('note', `x\r\n--${BOUNDARY}`), filePart(small, { type: 'image/png' })])],
    ];
    for (const [name, contentType, body, expect] of boundaryCases) cases.push({ name, contentType, body, ...(expect === undefined ? {} : { expect }) });

    // Huge header lines and many headers.
    const disposition = (params: string) => `Content-Disposition: form-data; ${params}`;
    const withHeaders = (headers: string[], body: Uint8Array = small) => multipart([{ headers, body }]);
    cases.push(
      { name: 'a 20 KiB Content-Disposition', body: withHeaders([disposition(`name="avatar"; filename="${'x'.repeat(20 * 1024)}.png"`), 'Content-Type: image/png']), expect: 'MULTIPART_INVALID' },
      { name: 'a 15 KiB file name (under the header cap)', body: withHeaders([disposition(`name="avatar"; filename="${'x'.repeat(15 * 1024)}.png"`), 'Content-Type: image/png']), expect: 202 },
      { name: '3000 tiny headers', body: withHeaders([disposition('name="avatar"; filename="a.png"'), 'Content-Type: image/png', ...Array.from({ length: 3000 }, (_, i) => `X-${i}: y`)]), expect: 'MULTIPART_INVALID' },
      { name: 'a folded header line', body: withHeaders([disposition('name="avatar";'), ' filename="a.png"', 'Content-Type: image/png']) },
      { name: 'a header name with a space', body: withHeaders(['Content Disposition: form-data; name="avatar"; filename="a.png"']), expect: 'MULTIPART_INVALID' },
      { name: 'a NUL in a header', body: withHeaders([disposition('name="avatar"; filename="a\u0000.png"'), 'Content-Type: image/png']), expect: 'MULTIPART_INVALID' },
    );

    // Many parts and files.
    cases.push(
      { name: '50 text fields', body: multipart([...Array.from({ length: 50 }, (_, i) => field(`f${i}`, 'v')), filePart(small, { type: 'image/png' })]), expect: 'MULTIPART_INVALID' },
      { name: '5 files', body: multipart(Array.from({ length: 5 }, () => filePart(small, { type: 'image/png' }))), expect: 'MULTIPART_INVALID' },
      { name: 'two "avatar" files', body: multipart([filePart(small, { type: 'image/png' }), filePart(small, { type: 'image/png' })]), expect: 'MULTIPART_INVALID' },
      { name: 'parts without Content-Disposition', body: multipart([{ headers: ['X-A: 1'], body: 'a' }, { headers: ['X-B: 2'], body: 'b' }, filePart(small, { type: 'image/png' })]), expect: 202 },
      { name: 'a part without any header', body: multipart([{ headers: [], body: 'b' }, filePart(small, { type: 'image/png' })]) },
      { name: '200 empty parts', body: latin1(`--${BOUNDARY}\r\n\r\n\r\n`.repeat(200) + `--${BOUNDARY}--\r\n`), expect: 'MULTIPART_INVALID' },
    );

    // Content-Disposition quoting.
    for (const params of [
      'name="av\\"atar"; filename="a.png"',
      'name="avatar\\"; filename=\\"a.png"',
      'name="avatar"; filename="a\\"b\\".png"',
      'name="avatar; filename="a.png',
      'name=avatar; filename=a.png',
      'name="avatar"; filename*=UTF-8\'\'%E2%82%AC.png',
      'name="avatar"; filename*=bogus\'\'%ZZ%',
      'name="avatar"; filename=""',
      'name=""; filename="a.png"',
      'name="avatar"; name="other"; filename="a.png"',
      'filename="a.png"',
      'name="avatar"; filename="a.png"; filename="b.png"',
      'name="avatar"; filename="""',
      ';;;; name="avatar"; filename="a.png"',
    ]) {
      cases.push({ name: `Content-Disposition: form-data; ${params}`, body: withHeaders([disposition(params), 'Content-Type: image/png']) });
    }
    cases.push({ name: 'Content-Disposition: attachment', body: withHeaders(['Content-Disposition: attachment; name="avatar"; filename="a.png"', 'Content-Type: image/png']), expect: 'INVALID_REQUEST' });

    // Missing or extra CRLFs.
    cases.push(
      { name: 'LF only', body: latin1(text.replaceAll('\r\n', '\n')), expect: 'MULTIPART_INVALID' },
      { name: 'CR only', body: latin1(text.replaceAll('\r\n', '\r')), expect: 'MULTIPART_INVALID' },
      { name: 'no blank line after the headers', body: latin1(text.replaceAll('\r\n\r\n', '\r\n')) },
      { name: 'no CRLF before the delimiters', body: latin1(text.replaceAll(`\r\n--${BOUNDARY}`, `--${BOUNDARY}`)) },
      { name: 'doubled CRLFs', body: latin1(text.replaceAll('\r\n', '\r\n\r\n')) },
      { name: 'no CRLF at all', body: latin1(text.replaceAll('\r\n', '')), expect: 'MULTIPART_INVALID' },
    );

    // Over the limit, in the file or around it.
    cases.push(
      { name: 'a file one byte over the limit', body: multipart([filePart(Buffer.alloc(MAX + 1, 0x42), { type: 'image/png' })]), expect: 'FILE_TOO_LARGE' },
      { name: 'a preamble past the body limit', body: Buffer.concat([Buffer.alloc(MAX + 65 * 1024, 0x20), base]), expect: 'FILE_TOO_LARGE' },
      { name: 'an unknown field past the body limit', body: multipart([{ headers: ['Content-Disposition: form-data; name="pad"; filename="pad.bin"', 'Content-Type: image/png'], body: Buffer.alloc(MAX + 65 * 1024) }]) },
    );

    // Random bytes, with and without delimiters in them.
    for (let i = 0; i < 30; i++) cases.push({ name: `random bytes #${i}`, body: rand.bytes(rand.int(3000)), expect: 'MULTIPART_INVALID' });
    for (let i = 0; i < 20; i++) {
      const pieces: Buffer[] = [];
      for (let j = rand.int(8); j >= 0; j--) pieces.push(rand.bytes(rand.int(200)), latin1(['\r\n', `--${BOUNDARY}\r\n`, `\r\n--${BOUNDARY}--`, 'Content-Disposition: form-data; name="avatar"; filename="x"\r\n\r\n'][rand.int(4)]!));
      cases.push({ name: `random bytes with delimiters #${i}`, body: Buffer.concat(pieces) });
    }

    // Byte flips and splices of the valid body.
    for (let i = 0; i < 80; i++) {
      const body = Buffer.from(base);
      for (let n = 1 + rand.int(4); n > 0; n--) body[rand.int(body.length)] = rand.int(256);
      cases.push({ name: `bytes flipped #${i}`, body });
    }
    for (let i = 0; i < 40; i++) {
      const from = rand.int(base.length);
      const to = Math.min(base.length, from + 1 + rand.int(100));
      const kind = rand.int(3);
      const body =
        kind === 0 ? Buffer.concat([base.subarray(0, from), base.subarray(to)])
        : kind === 1 ? Buffer.concat([base.subarray(0, to), base.subarray(from, to), base.subarray(to)])
        : Buffer.concat([base.subarray(0, from), rand.bytes(1 + rand.int(50)), base.subarray(from)]);
      cases.push({ name: `${['cut', 'duplicated', 'inserted'][kind]} bytes at ${from} #${i}`, body });
    }

    const accepted = new Set<string>();
    const seen = new Map<string, number>();
    for (let i = 0; i < cases.length; i += 4) {
      await Promise.all(
        cases.slice(i, i + 4).map(async (c, j) => {
          // Half the cases stream in random pieces without a Content-Length.
          const streamed = rand.next() < 0.5;
          const sizes = Array.from({ length: 5 }, () => 1 + rand.int(700));
          const res = await api(server, 'POST', '/v1/users/me/avatar', {
            token: fuzzToken,
            body: asBody(streamed ? chunked(c.body, sizes) : c.body),
            headers: { 'content-type': c.contentType ?? formType() },
          });
          const context = `#${i + j} ${c.name}${streamed ? ' (chunked)' : ''}`;
          assertDocumented(res, context);
          if (typeof c.expect === 'number') assert.equal(res.status, c.expect, `${context}: ${res.text}`);
          if (typeof c.expect === 'string') assert.equal(res.json?.error?.code, c.expect, `${context}: ${res.text}`);
          const outcome = res.status === 202 ? '202' : `${res.status} ${res.json.error.code}`;
          seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
          if (res.status === 202) accepted.add(res.json.file_id);
        }),
      );
    }
    t.diagnostic(`${cases.length} bodies: ${[...seen].map(([k, v]) => `${k} × ${v}`).join(', ')}`);
    assert.ok(accepted.size > 0 && seen.size >= 4, 'the fuzz reached both acceptance and several refusals');

    // Jobs write variants through temp files too: let them finish before looking for leftovers.
    for (const id of accepted) await waitForFile(server, fuzzToken, id);
    // Nothing half-written: a row for exactly the accepted uploads, each received with its bytes, no stray objects.
    const rows = (await fileRows()).filter((r) => r.owner_id === fuzzUser);
    assert.deepEqual(rows.map((r) => r.id).sort(), [...accepted].sort(), 'a file row for every 202 and no other');
    for (const row of rows) {
      assert.equal(row.received, 1, `${row.id} is received`);
      assert.notEqual(row.state, 'awaiting_upload', `${row.id} went to processing`);
    }
    const allIds = new Set((await fileRows()).map((r) => r.id));
    for (const original of await originals()) assert.ok(allIds.has(original), `stray original ${original}`);
    for (const id of accepted) assert.ok((await originals()).includes(id), `original of ${id}`);
    assert.deepEqual(await temps(), [], 'no temp files left');
    assert.deepEqual(server.lines.filter((line) => /^error:/.test(line)), [], 'no unexpected errors logged');
    assert.equal((await api(server, 'GET', '/healthz')).status, 200);
  });
});
