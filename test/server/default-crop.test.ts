// The default crop (issue 21): the rule's geometry, the model and its compact form, and the whole thing (real
// BlazeFace model, real photos from test/fixtures/faces) as the server runs it, without HTTP and in a server: its
// face detection threads (started when needed, stopped with the server) find what the same code finds here.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { contains, LABELLED_PHOTOS } from '../../bench/default-crop-set.ts';
import { readCompactModel, smartDefaultCrop } from '../../media/default-crop/index.ts';
import { CompactModelError } from '../../media/default-crop/compact-model.ts';
import { searchWindows } from '../../media/default-crop/find-faces.ts';
import { floatToHalf, halfToFloat } from '../../media/default-crop/float16.ts';
import { compactFaceModel, tfliteModelPath } from '../../media/default-crop/model-file.ts';
import { centredSquare, defaultCrop, FACE_CENTRE_FROM_TOP, faceSquare, SIDE_PER_FACE } from '../../media/default-crop/rule.ts';
import { readTfliteModel, TfliteFormatError } from '../../media/default-crop/tflite-model.ts';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { defaultCropOf, detectionCopy } from '../../server/images/default-crop.ts';
import { createFaceDetectionPool, FaceDetectionError, type FaceDetectionPool } from '../../server/images/face-detection-pool.ts';
import { loadFaceDetector } from '../../server/images/face-model.ts';
import { startServer as startInProcess } from '../../server/server.ts';
import { api, signJwt, startServer, uploadImage, userToken, waitForFile, waitUntil, type RunningServer } from '../helpers/server.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/faces/${name}`, import.meta.url));
const LIMITS = { maxPixels: 40_000_000, timeoutSeconds: 30 };
const isSquareInside = (crop: { x: number; y: number; w: number; h: number }, width: number, height: number) =>
  [crop.x, crop.y, crop.w].every(Number.isInteger) && crop.w === crop.h && crop.x >= 0 && crop.y >= 0 && crop.x + crop.w <= width && crop.y + crop.h <= height;

describe('the default crop rule', () => {
  const image = { width: 3000, height: 2000 };

  test('frames one face with room for hair and shoulders, its centre a little above the middle', () => {
    const face = { x: 1400, y: 800, w: 200, h: 240 };
    const crop = faceSquare(image, [face]);
    assert.equal(crop.w, SIDE_PER_FACE * face.h);
    assert.equal(crop.w, crop.h);
    assert.equal(crop.x + crop.w / 2, face.x + face.w / 2);
    assert.equal(face.y + face.h / 2 - crop.y, FACE_CENTRE_FROM_TOP * crop.w);
  });

  test('frames faces of similar size together and leaves much smaller ones out', () => {
    const left = { x: 1000, y: 800, w: 200, h: 200 };
    const right = { x: 1600, y: 820, w: 180, h: 180 };
    const small = { x: 2800, y: 100, w: 60, h: 60 };
    const crop = faceSquare(image, [left, right, small]);
    assert.ok(contains(crop, left) && contains(crop, right), JSON.stringify(crop));
    assert.ok(!contains(crop, small));
    assert.ok(crop.w < 2000);
  });

  test('is shifted to lie inside the image, never larger than its short side', () => {
    const corner = faceSquare(image, [{ x: 10, y: 5, w: 300, h: 300 }]);
    assert.deepEqual([corner.x, corner.y], [0, 0]);
    const huge = faceSquare(image, [{ x: 500, y: 100, w: 1800, h: 1800 }]);
    assert.equal(huge.w, 2000);
    assert.ok(isSquareInside(huge, image.width, image.height));
  });

  test('without faces: the largest square at the subject when there is one, else the centred one', () => {
    assert.deepEqual(defaultCrop(image, [], 600), { crop: { x: 0, y: 0, w: 2000, h: 2000 }, source: 'saliency' });
    assert.deepEqual(defaultCrop(image, [], 2500), { crop: { x: 1000, y: 0, w: 2000, h: 2000 }, source: 'saliency' });
    assert.deepEqual(defaultCrop({ width: 800, height: 1000 }, [], 900), { crop: { x: 0, y: 200, w: 800, h: 800 }, source: 'saliency' });
    assert.deepEqual(defaultCrop(image, [], null), { crop: { x: 500, y: 0, w: 2000, h: 2000 }, source: 'center' });
    assert.deepEqual(centredSquare({ width: 1001, height: 500 }), { x: 250, y: 0, w: 500, h: 500 });
  });
});

describe('the model and its compact form', () => {
  test('the .tflite reader refuses bytes that are not a TensorFlow Lite model', () => {
    assert.throws(() => readTfliteModel(new Uint8Array(64)), TfliteFormatError);
    assert.throws(() => readTfliteModel(fixture('astronaut.jpg')), TfliteFormatError);
  });

  test('the compact model keeps the network: filters int8 within half a step of each channel, every other constant exact', () => {
    const tflite = readTfliteModel(readFileSync(tfliteModelPath()));
    const compact = compactFaceModel();
    assert.ok(compact.length < 0.6 * readFileSync(tfliteModelPath()).length, `${compact.length} B`);
    const model = readCompactModel(compact);
    // The same operators, in order, on constants equal to the .tflite's (DEQUANTIZE steps folded away).
    const constantOf = new Map(tflite.operators.filter((op) => op.op === 'DEQUANTIZE').map((op) => [op.outputs[0]!, op.inputs[0]!]));
    const computing = tflite.operators.filter((op) => op.op !== 'DEQUANTIZE');
    assert.deepEqual(model.operators.map((op) => [op.op, op.options]), computing.map((op) => [op.op, op.options]));
    let filters = 0;
    computing.forEach((op, i) => {
      op.inputs.forEach((tensor, j) => {
        const original = tflite.tensors[constantOf.get(tensor) ?? tensor]?.data;
        const stored = model.tensors[model.operators[i]!.inputs[j]!]?.data;
        if (!original) return assert.ok(!stored);
        assert.equal(stored!.length, original.length);
        const isFilter = j === 1 && (op.op === 'CONV_2D' || op.op === 'DEPTHWISE_CONV_2D');
        if (!isFilter) return assert.deepEqual(stored, original);
        filters++;
        // Per output channel: at most half of its step (its largest magnitude / 127) away, and the step a half more at most.
        const shape = tflite.tensors[constantOf.get(tensor) ?? tensor]!.shape;
        const axis = op.op === 'CONV_2D' ? 0 : 3;
        const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
        const channelOf = (k: number) => Math.floor(k / stride) % shape[axis]!;
        const max = new Array<number>(shape[axis]!).fill(0);
        original.forEach((value, k) => (max[channelOf(k)] = Math.max(max[channelOf(k)]!, Math.abs(value))));
        original.forEach((value, k) => assert.ok(Math.abs(stored![k]! - value) <= (max[channelOf(k)]! / 127) * 0.5 * 1.002, `${value} → ${stored![k]}`));
      });
    });
    assert.equal(filters, 37);
  });

  test('the compact model reader refuses other bytes', () => {
    const compact = compactFaceModel();
    assert.throws(() => readCompactModel(readFileSync(tfliteModelPath())), CompactModelError);
    assert.throws(() => readCompactModel(compact.subarray(0, compact.length - 1)), CompactModelError);
    assert.throws(() => readCompactModel(new Uint8Array(4)), CompactModelError);
  });

  test('float16: every finite half survives the trip to float32 and back', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) === 0x7c00) continue; // infinities and NaN
      assert.equal(floatToHalf(halfToFloat(bits)), bits);
    }
    assert.equal(halfToFloat(floatToHalf(1 / 3)), 0.333251953125);
  });
});

/** The astronaut's portrait at the right end of a 1500×500 lake banner, and where her face is on it. */
async function banner(): Promise<{ bytes: Buffer; face: { x: number; y: number; w: number; h: number } }> {
  const part = { left: 110, top: 10, width: 230, height: 280 };
  const scale = 219 / part.height;
  const portrait = await sharp(fixture('astronaut.jpg')).extract(part).resize(180, 219).toBuffer();
  const bytes = await sharp(fixture('lake.jpg')).resize(1500, 500, { fit: 'cover' }).composite([{ input: portrait, left: 1250, top: 200 }]).jpeg().toBuffer();
  const face = LABELLED_PHOTOS[0]!.faces[0]!;
  return { bytes, face: { x: 1250 + (face.x - part.left) * scale, y: 200 + (face.y - part.top) * scale, w: face.w * scale, h: face.h * scale } };
}

describe('the default crop of an upload (server)', () => {
  let faces: FaceDetectionPool;
  before(() => (faces = createFaceDetectionPool({ size: 2 })));
  after(() => faces.close());

  test('holds the whole face of each photo where the detector finds it', async () => {
    for (const file of ['astronaut.jpg', 'grace-hopper.jpg', 'cameraman.jpg']) {
      const bytes = fixture(file);
      const { width, height } = await sharp(bytes).metadata();
      const result = await defaultCropOf(bytes, { format: 'jpeg', width: width!, height: height! }, 'smart', LIMITS, faces);
      assert.equal(result.source, 'face', file);
      assert.ok(isSquareInside(result.crop, width!, height!), `${file}: ${JSON.stringify(result.crop)}`);
      const face = LABELLED_PHOTOS.find((photo) => photo.file === file)!.faces[0]!;
      assert.ok(contains(result.crop, face), `${file}: ${JSON.stringify(result.crop)} misses ${JSON.stringify(face)}`);
      assert.ok(result.crop.w < Math.min(width!, height!) || file === 'grace-hopper.jpg', `${file}: the crop should close in on the face`);
    }
  });

  test('finds a person far off-centre in a banner, where the centred square has nobody', async () => {
    const { bytes, face } = await banner();
    const result = await defaultCropOf(bytes, { format: 'jpeg', width: 1500, height: 500 }, 'smart', LIMITS, faces);
    assert.equal(result.source, 'face');
    assert.ok(contains(result.crop, face) && !contains(centredSquare({ width: 1500, height: 500 }), face), JSON.stringify(result.crop));
    assert.ok(isSquareInside(result.crop, 1500, 500));
  });

  test('leaves landscapes, textures and paintings with detail all over on the centred square', async () => {
    for (const [file, format] of [['lake.jpg', 'jpeg'], ['brick.jpg', 'jpeg'], ['starry-night.jpg', 'jpeg'], ['tree.jpg', 'png']] as const) {
      const bytes = await sharp(fixture(file)).resize(1200, 600, { fit: 'cover' }).toFormat(format).toBuffer();
      const result = await defaultCropOf(bytes, { format, width: 1200, height: 600 }, 'smart', LIMITS, faces);
      assert.deepEqual(result, { crop: { x: 300, y: 0, w: 600, h: 600 }, source: 'center' }, file);
    }
  });

  test('moves to a logo that stands alone off-centre (saliency)', async () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1500" height="500"><rect width="100%" height="100%" fill="#fff"/><circle cx="1250" cy="250" r="120" fill="#e33"/></svg>`;
    const bytes = await sharp(Buffer.from(svg)).png().toBuffer();
    const result = await defaultCropOf(bytes, { format: 'png', width: 1500, height: 500 }, 'smart', LIMITS, faces);
    assert.equal(result.source, 'saliency');
    assert.ok(contains(result.crop, { x: 1130, y: 130, w: 240, h: 240 }), JSON.stringify(result.crop));
  });

  test('AVATAR_DEFAULT_CROP=center: always the centred square, nothing detected', async () => {
    const result = await defaultCropOf(fixture('astronaut.jpg'), { format: 'jpeg', width: 512, height: 512 }, 'center', LIMITS, faces);
    assert.deepEqual(result, { crop: { x: 0, y: 0, w: 512, h: 512 }, source: 'center' });
  });

  test('a detection that fails (here: on a pool already stopped) falls back to the centred square', async () => {
    const stopped = createFaceDetectionPool({ size: 1 });
    await stopped.close();
    const result = await defaultCropOf((await banner()).bytes, { format: 'jpeg', width: 1500, height: 500 }, 'smart', LIMITS, stopped);
    assert.deepEqual(result, { crop: { x: 500, y: 0, w: 500, h: 500 }, source: 'center' });
  });

  test('an image the copy cannot be made of falls back to the centred square', async () => {
    const truncated = fixture('astronaut.jpg').subarray(0, 2000);
    const result = await defaultCropOf(truncated, { format: 'jpeg', width: 512, height: 512 }, 'smart', LIMITS, faces);
    assert.deepEqual(result, { crop: { x: 0, y: 0, w: 512, h: 512 }, source: 'center' });
  });
});

/** A photo's detection copy, as the server makes it. */
async function copyOf(bytes: Buffer) {
  const { width, height, format } = await sharp(bytes).metadata();
  const size = { width: width!, height: height! };
  return { copy: (await detectionCopy(bytes, { ...size, format: format as 'jpeg' }, LIMITS))!, size };
}

describe('face detection threads', () => {
  test('find the same crop as the same code run on this thread', async () => {
    const here = loadFaceDetector();
    const pool = createFaceDetectionPool({ size: 1 });
    try {
      const photos = [(await banner()).bytes, fixture('grace-hopper.jpg'), fixture('lake.jpg'), await sharp(fixture('cameraman.jpg')).resize(1200, 400, { fit: 'contain' }).jpeg().toBuffer()];
      const sources = new Set<string>();
      for (const bytes of photos) {
        const { copy, size } = await copyOf(bytes);
        const { crop, source } = smartDefaultCrop(here, copy, size);
        sources.add(source);
        assert.deepEqual(await pool.defaultCrop(copy, size), { crop, source });
      }
      assert.ok(sources.has('face') && sources.has('center'), [...sources].join());
    } finally {
      await pool.close();
    }
  });

  test("one photo's search windows are looked at on several threads at once, with the same result", async () => {
    const pool = createFaceDetectionPool({ size: 2 });
    try {
      const { copy, size } = await copyOf((await banner()).bytes);
      assert.ok(searchWindows(copy).length >= 2);
      const alone = await pool.defaultCrop(copy, size);
      assert.equal(pool.threads(), 2);
      const { crop, source } = smartDefaultCrop(loadFaceDetector(), copy, size);
      assert.deepEqual(alone, { crop, source });
    } finally {
      await pool.close();
    }
  });

  test('start when a photo needs one, never more than the pool size; close() stops them and refuses later photos', async () => {
    const pool = createFaceDetectionPool({ size: 2 });
    const { copy, size } = await copyOf((await banner()).bytes);
    assert.equal(pool.threads(), 0);
    const four = Array.from({ length: 4 }, () => pool.defaultCrop(copy, size));
    assert.equal(pool.threads(), 2);
    const crops = await Promise.all(four);
    assert.ok(crops.every((found) => found.source === 'face') && new Set(crops.map((found) => JSON.stringify(found))).size === 1);
    assert.equal(pool.threads(), 2);

    const inFlight = assert.rejects(pool.defaultCrop(copy, size), { name: 'FaceDetectionError', message: /stopped/ });
    await pool.close();
    await inFlight;
    assert.equal(pool.threads(), 0);
    await assert.rejects(pool.defaultCrop(copy, size), FaceDetectionError);
  });

  test("a server's render job uses them, and closing the server stops them", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'avatar-test-'));
    const jwtSecret = randomBytes(32).toString('hex');
    const config = loadConfig({ port: '0', 'data-dir': dataDir }, { AVATAR_JWT_SECRET: jwtSecret, AVATAR_ADMIN_KEY: randomBytes(24).toString('hex'), AVATAR_LOG_LEVEL: 'info' });
    // Its log is not what this test reads.
    const server = await startInProcess(config, { logDestination: { write: () => {} } });
    const { faceDetection } = server.deps;
    try {
      assert.equal(faceDetection.threads(), 0);
      const { bytes, face } = await banner();
      const token = signJwt(jwtSecret, { sub: 'threads', exp: Math.floor(Date.now() / 1000) + 600 });
      const res = await api(server.url, 'POST', '/v1/users/me/avatar', { token, body: new Uint8Array(bytes), headers: { 'content-type': 'image/jpeg' } });
      assert.equal(res.status, 202, res.text);
      const file = await waitUntil(async () => {
        const { json } = await api(server.url, 'GET', `/v1/files/${res.json.file_id}`, { token });
        return ['ready', 'failed'].includes(json.processing_state) && json;
      }, 'the avatar to be processed');
      assert.equal(file.crop_source, 'face');
      assert.ok(contains(file.crop, face), JSON.stringify(file.crop));
      // The banner's search windows were looked at on as many threads as the job concurrency allows.
      assert.equal(faceDetection.threads(), Math.min(config.jobConcurrency, searchWindows({ width: 1500, height: 500 }).length));
    } finally {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    }
    assert.equal(faceDetection.threads(), 0);
  });
});

describe('AVATAR_DEFAULT_CROP', () => {
  const base = { AVATAR_JWT_SECRET: randomBytes(32).toString('hex'), AVATAR_ADMIN_KEY: randomBytes(24).toString('hex') };
  test('is smart by default, center when set, and anything else stops start-up naming it', () => {
    assert.equal(loadConfig({}, base).defaultCrop, 'smart');
    assert.equal(loadConfig({}, { ...base, AVATAR_DEFAULT_CROP: 'center' }).defaultCrop, 'center');
    assert.throws(() => loadConfig({}, { ...base, AVATAR_DEFAULT_CROP: 'faces' }), (error: unknown) => error instanceof ConfigError && error.variable === 'AVATAR_DEFAULT_CROP');
  });
});

describe('uploads without a crop get the default crop; the file says which and why (server process)', () => {
  let server: RunningServer;
  let photo: Awaited<ReturnType<typeof banner>>;
  before(async () => {
    server = await startServer();
    photo = await banner();
  });
  after(() => server.stop());

  const expectFaceCrop = (file: { processing_state: string; crop?: unknown; crop_source?: string }) => {
    assert.equal(file.processing_state, 'ready');
    assert.equal(file.crop_source, 'face');
    const crop = file.crop as { x: number; y: number; w: number; h: number };
    assert.ok(contains(crop, photo.face) && isSquareInside(crop, 1500, 500), JSON.stringify(crop));
  };

  test('the one-request POST /v1/users/me/avatar (raw body)', async () => {
    const token = userToken(server, 'default-crop-raw');
    const res = await api(server, 'POST', '/v1/users/me/avatar', { token, body: new Uint8Array(photo.bytes), headers: { 'content-type': 'image/jpeg' } });
    assert.equal(res.status, 202, res.text);
    expectFaceCrop(await waitForFile(server, token, res.json.file_id));
  });

  test('an upload link (POST /v1/admin/avatars/new) and a two-step upload without crop fields', async () => {
    const link = await api(server, 'POST', '/v1/admin/avatars/new', { headers: { authorization: `Bearer ${server.adminKey}` }, json: { user_id: 'default-crop-link' } });
    assert.equal(link.status, 201, link.text);
    assert.equal((await api(server, 'PUT', link.json.upload_url, { body: new Uint8Array(photo.bytes), headers: { 'content-type': 'image/jpeg' } })).status, 202);
    expectFaceCrop(await waitForFile(server, userToken(server, 'default-crop-link'), link.json.file_id));

    const token = userToken(server, 'default-crop-two-step');
    expectFaceCrop(await waitForFile(server, token, await uploadImage(server, token, photo.bytes)));
  });

  test('a crop given with the upload is kept as given: crop_source "user", from the start', async () => {
    const token = userToken(server, 'default-crop-user');
    const fileId = await uploadImage(server, token, photo.bytes, { crop: { crop_x: 0, crop_y: 0, crop_w: 400 } });
    const file = await waitForFile(server, token, fileId);
    assert.equal(file.processing_state, 'ready');
    assert.deepEqual([file.crop, file.crop_source], [{ x: 0, y: 0, w: 400, h: 400 }, 'user']);
  });
});
