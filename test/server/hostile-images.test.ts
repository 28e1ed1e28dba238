// Issue 13, points 3 and 4: truncated or corrupt images and polyglots are refused in every family and
// every format, while real camera files and what phones append to their photos still go through.
// Pipeline-level checks call the image layer directly; the last block goes through a real server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { renderEmoteVariants } from '../../server/images/emote-pipeline.ts';
import { embeddedFileKind } from '../../server/images/embedded-files.ts';
import { ImageError } from '../../server/images/errors.ts';
import { imageEnd, imageOnly } from '../../server/images/image-end.ts';
import { containsMarkup } from '../../server/images/markup.ts';
import { probeImage, renderAvatarVariants, type PipelineLimits } from '../../server/images/pipeline.ts';
import { MIME_BY_FORMAT, sniffImageFormat } from '../../server/images/sniff.ts';
import * as hostile from '../fixtures/hostile.ts';
import * as fixtures from '../fixtures/images.ts';
import { manyScansScript, photoPixels, progressiveJpeg } from '../fixtures/progressive.ts';
import { BLUE, GREEN, RED } from '../fixtures/images.ts';
import { rejectsWithImageError } from '../helpers/image-errors.ts';
import { startServer, uploadImage, userToken, waitForFile, type RunningServer } from '../helpers/server.ts';

const limits: PipelineLimits = { maxPixels: 40_000_000, maxFrames: 200, timeoutSeconds: 30 };
const mimeOf = (bytes: Buffer) => MIME_BY_FORMAT[sniffImageFormat(bytes) ?? 'jpeg'];

/** Probe, then the avatar renderer (and the emote one too with `emote`), as processing does: resolves only when all succeed. */
async function processes(bytes: Buffer, { emote = false } = {}) {
  const probe = await probeImage(bytes, mimeOf(bytes), limits);
  const avatar = await renderAvatarVariants(bytes, probe, null, [64], limits);
  return { probe, avatar, emote: emote ? await renderEmoteVariants(bytes, probe, null, limits) : null };
}

/** Refused as IMAGE_INVALID, by the probe or, when the probe lets it through, by both renderers. */
async function assertRefused(bytes: Buffer, label: string, message?: RegExp, mime = mimeOf(bytes)) {
  let probe;
  try {
    probe = await probeImage(bytes, mime, limits);
  } catch (error) {
    assert.ok(error instanceof ImageError && error.code === 'IMAGE_INVALID', `${label}: ${String(error)}`);
    if (message) assert.match(error.message, message, label);
    return;
  }
  assert.equal(message, undefined, `${label}: the probe accepted it`);
  await rejectsWithImageError(renderAvatarVariants(bytes, probe, null, [64], limits), 'IMAGE_INVALID').catch((e) => assert.fail(`${label} (avatar): ${e}`));
  await rejectsWithImageError(renderEmoteVariants(bytes, probe, null, limits), 'IMAGE_INVALID').catch((e) => assert.fail(`${label} (emote): ${e}`));
}

describe('real camera files', () => {
  test('every camera and phone JPEG in test/fixtures/camera is accepted and processed', async () => {
    const files = hostile.cameraFiles();
    assert.ok(files.length >= 6, `only ${files.length} camera files`);
    for (const { name, bytes } of files) {
      const { probe, avatar, emote } = await processes(bytes, { emote: true }).catch((e) => assert.fail(`${name}: ${e}`));
      assert.ok(probe.width > 0 && probe.height > 0, name);
      assert.equal(avatar.length, 2, name);
      assert.equal(emote?.variants.length, 4, name);
    }
  });

  test('the benign irregularities cameras write (stray bytes between segments, off-spec scan parameters) are accepted', async () => {
    for (const { name, bytes } of hostile.cameraFiles().slice(0, 3)) {
      for (const [kind, variant] of [
        ['stray bytes', hostile.jpegWithStrayBytes(bytes)],
        ['scan parameters', hostile.jpegWithOffSpecScanParameters(bytes)],
        ['both', hostile.jpegWithStrayBytes(hostile.jpegWithOffSpecScanParameters(bytes), Buffer.from([0x0d, 0x0a]))],
      ] as const) {
        // Guard: libjpeg really warns about this file, so a decode with failOn 'warning' alone would refuse it.
        await assert.rejects(sharp(variant, { failOn: 'warning' }).raw().toBuffer(), /extraneous bytes|Invalid SOS parameters/, `${name} ${kind}`);
        await processes(variant).catch((e) => assert.fail(`${name} with ${kind}: ${e}`));
      }
    }
  });

  test('a benign irregularity does not hide truncated data after it', async () => {
    const bytes = hostile.camera('canon-powershot-s400.jpg');
    // The damage is done first, then the irregularities are written in (stray bytes break simple parsers).
    const irregular = (damage: (jpeg: Buffer) => Buffer) => hostile.jpegWithStrayBytes(damage(hostile.jpegWithOffSpecScanParameters(bytes)));
    await assertRefused(irregular((jpeg) => hostile.jpegWithScanDataRemoved(jpeg)), 'irregular + data removed');
    await assertRefused(irregular((jpeg) => hostile.jpegStartWithEoi(jpeg, 2000)), 'irregular + start with EOI');
    await assertRefused(irregular((jpeg) => hostile.jpegCut(jpeg, 0.8, true)), 'irregular + cut with EOI');
  });

  test('each file is judged on its own when good and damaged files are decoded at the same time', async () => {
    // libvips' error text is shared by the whole process, so a decision taken from it could follow
    // another image's message; the decisions here come from each decode's own failure.
    const files = hostile.cameraFiles();
    const results = await Promise.all(
      files.flatMap(({ name, bytes }) => [
        processes(bytes).then(() => `${name} ok`, (e: unknown) => `${name} ${String(e)}`),
        processes(hostile.jpegWithScanDataRemoved(bytes, Math.min(3000, bytes.length >> 3))).then(
          () => `${name} damaged accepted`,
          (e: unknown) => (e instanceof ImageError && e.code === 'IMAGE_INVALID' ? `${name} damaged refused` : `${name} damaged ${String(e)}`),
        ),
      ]),
    );
    assert.deepEqual(results, files.flatMap(({ name }) => [`${name} ok`, `${name} damaged refused`]));
  });

  test('camera files cut short or damaged are refused', async () => {
    for (const { name, bytes } of hostile.cameraFiles()) {
      await assertRefused(hostile.jpegStartWithEoi(bytes), `${name} start + EOI`);
      await assertRefused(hostile.jpegCut(bytes, 0.7, true), `${name} cut + EOI`);
      await assertRefused(hostile.jpegCut(bytes, 0.7, false), `${name} cut`, /truncated/);
      await assertRefused(hostile.jpegWithScanDataRemoved(bytes, Math.min(3000, bytes.length >> 3)), `${name} data removed`);
    }
  });
});

describe('truncated and corrupt images, per format', () => {
  test('JPEG, baseline and progressive: start + EOI, cut with and without EOI, data removed, bad Huffman code', async () => {
    const baseline = await fixtures.jpeg(640, 480);
    for (const [kind, jpeg] of [['baseline', baseline], ['progressive', await hostile.progressive(baseline)]] as const) {
      await assertRefused(hostile.jpegStartWithEoi(jpeg), `${kind} start + EOI`, /truncated/);
      for (const fraction of [0.3, 0.6, 0.95]) {
        await assertRefused(hostile.jpegCut(jpeg, fraction, true), `${kind} cut at ${fraction} + EOI`);
        await assertRefused(hostile.jpegCut(jpeg, fraction, false), `${kind} cut at ${fraction}`, /truncated/);
      }
      await assertRefused(hostile.jpegWithScanDataRemoved(jpeg), `${kind} data removed`);
    }
    await assertRefused(await hostile.jpegWithBadHuffmanCode(await fixtures.jpeg(320, 240)), 'bad Huffman code');
    await assertRefused(await hostile.jpegWithBadHuffmanCode(hostile.camera('nikon-d100.jpg')), 'bad Huffman code (camera)');
  });

  test('JPEG: a tiny file whose header claims 6000×6000 is refused by the probe, before any decoding', async () => {
    const bytes = hostile.jpegClaimingSize(await fixtures.jpeg(64, 64), 6000, 6000);
    assert.ok(bytes.length < 2000);
    await rejectsWithImageError(probeImage(bytes, 'image/jpeg', limits), 'IMAGE_INVALID', /6000×6000 pixels need at least \d+ bytes/);
    const camera = hostile.jpegClaimingSize(hostile.camera('nokia-lumia-820.jpg'), 4000, 3000);
    await rejectsWithImageError(probeImage(camera, 'image/jpeg', limits), 'IMAGE_INVALID', /truncated/);
  });

  test('PNG: truncated, corrupt or short IDAT with a valid IEND, bad CRCs, no IEND, cut', async () => {
    for (const png of [await fixtures.png(300, 200), await fixtures.png(120, 90, { alpha: true })]) {
      await assertRefused(hostile.pngWithTruncatedIdat(png), 'IDAT cut in half');
      await assertRefused(hostile.pngWithCorruptIdat(png), 'IDAT corrupt');
      await assertRefused(hostile.pngWithShortImageData(png), 'IDAT holds half the rows');
      await assertRefused(hostile.pngWithBadCrc(png, 'IDAT'), 'bad IDAT CRC', /CRC of its IDAT/);
      await assertRefused(hostile.pngWithBadCrc(png, 'tEXt'), 'bad tEXt CRC', /CRC of its tEXt/);
      await assertRefused(hostile.pngWithBadCrc(png, 'IHDR'), 'bad IHDR CRC', /CRC/);
      await assertRefused(hostile.pngWithoutIend(png), 'no IEND', /truncated/);
      await assertRefused(png.subarray(0, Math.floor(png.length * 0.6)), 'cut', /truncated/);
    }
    const interlaced = Buffer.from(await sharp(await fixtures.png(300, 200)).png({ progressive: true }).toBuffer());
    await processes(interlaced);
    await assertRefused(hostile.pngWithTruncatedIdat(interlaced), 'interlaced IDAT cut');
  });

  test('GIF, still and animated: cut mid-frame (with and without a trailer) and frames short of data', async () => {
    const still = await fixtures.gif(200, 150);
    const animated = await fixtures.timedAnimatedGif([RED, GREEN, BLUE, RED], 120, 90);
    for (const [kind, gif] of [['still', still], ['animated', animated]] as const) {
      await assertRefused(hostile.gifCutMidFrame(gif, true), `${kind} cut + trailer`, /truncated/);
      await assertRefused(hostile.gifCutMidFrame(gif, false), `${kind} cut`, /truncated/);
      await assertRefused(hostile.gifWithShortFrame(gif), `${kind} short last frame`, /covers \d+ of its/);
      await assertRefused(hostile.gifWithShortFrame(gif, 0), `${kind} short first frame`, /covers \d+ of its/);
    }
    // Guard: libvips itself decodes the well-formed short animation without complaint.
    const { info } = await sharp(hostile.gifWithShortFrame(animated), { animated: true, failOn: 'warning' }).raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.pages, 4);
  });

  test('WebP, still and animated: RIFF sizes that lie and data cut short', async () => {
    const still = await fixtures.webp(300, 200);
    const animated = await fixtures.animatedWebp([RED, GREEN, BLUE], 120, 90);
    for (const [kind, webp] of [['still', still], ['animated', animated]] as const) {
      await assertRefused(hostile.webpWithRiffSizeOff(webp, 5000), `${kind} RIFF size too large`, /truncated/);
      await assertRefused(hostile.webpWithRiffSizeOff(webp, -40), `${kind} RIFF size too small`);
      await assertRefused(webp.subarray(0, Math.floor(webp.length * 0.6)), `${kind} cut`, /truncated/);
      await assertRefused(hostile.webpCutWithSizesFixed(webp, 0.6), `${kind} cut, sizes fixed`);
    }
  });

  test('AVIF: cut, and cut with the box size fixed', async () => {
    const avif = await fixtures.avif(300, 200);
    for (const fraction of [0.5, 0.8, 0.99]) {
      await assertRefused(hostile.avifCut(avif, fraction, false), `cut at ${fraction}`, /truncated/);
      await assertRefused(hostile.avifCut(avif, fraction, true), `cut at ${fraction}, box fixed`);
    }
  });

  test('no damage makes the byte-level checks throw anything but an ImageError', async () => {
    const samples = [
      await fixtures.jpeg(96, 64), hostile.camera('iphone-4s.jpg'), await fixtures.png(96, 64), await fixtures.gif(96, 64),
      await fixtures.timedAnimatedGif([RED, BLUE], 40, 30), await fixtures.webp(96, 64), await fixtures.animatedWebp([RED, BLUE], 40, 30), await fixtures.avif(96, 64),
    ];
    let seed = 1;
    for (const sample of samples) {
      const format = sniffImageFormat(sample)!;
      for (let round = 0; round < 150; round++) {
        const damaged = Buffer.from(sample.subarray(0, round % 3 === 0 ? 16 + (seed * 7919) % sample.length : sample.length));
        const flips = hostile.noise(8, seed++);
        for (let i = 0; i + 1 < flips.length; i += 2) damaged[(flips.readUInt16LE(i) * 31) % damaged.length] = flips[i + 1]!;
        assert.doesNotThrow(() => imageOnly(damaged));
        try {
          imageEnd(damaged, format);
        } catch (error) {
          assert.ok(error instanceof ImageError, `${format} round ${round}: ${String(error)}`);
        }
      }
    }
  });
});

describe('polyglots and markup', () => {
  const appended: Array<[string, () => Buffer]> = [
    ['a ZIP archive', hostile.zipArchive],
    ['a PDF document', hostile.pdfDocument],
    ['an HTML document', hostile.htmlDocument],
    ['an executable', hostile.elfExecutable],
    ['random bytes', () => hostile.noise(500, 5)],
    ['text', () => Buffer.from('just some text after the image, long enough')],
  ];

  test('any image followed by another file or by arbitrary bytes is refused, in every format', async () => {
    const images = [await fixtures.jpeg(64, 48), hostile.camera('canon-powershot-s40.jpg'), await fixtures.png(64, 48), await fixtures.gif(64, 48), await fixtures.webp(64, 48), await fixtures.avif(64, 48)];
    for (const image of images) {
      for (const [kind, make] of appended) {
        await assertRefused(Buffer.concat([image, make()]), `${sniffImageFormat(image)} + ${kind}`, /followed by|also contains|HTML or script/);
      }
    }
  });

  test('a ZIP or PDF hidden inside the image structure (a JPEG segment, a PNG chunk) is refused too', async () => {
    const jpeg = hostile.camera('canon-powershot-s40.jpg');
    await assertRefused(hostile.jpegWithSegment(jpeg, hostile.zipArchive()), 'ZIP in a COM segment', /also contains a ZIP archive/);
    await assertRefused(hostile.jpegWithSegment(jpeg, hostile.pdfDocument(), 0xe3), 'PDF in an APP3 segment', /also contains a PDF document/);
    const png = await fixtures.png(64, 48);
    const zipBeforeIend = Buffer.concat([png.subarray(0, png.length - 12), hostile.pngChunk('zIPp', hostile.zipArchive()), png.subarray(png.length - 12)]);
    await assertRefused(zipBeforeIend, 'ZIP in a PNG chunk', /also contains a ZIP archive/);
  });

  test('markup more than 64 KiB from both ends of the file is found', async () => {
    const jpeg = await fixtures.jpeg(1280, 960);
    const bytes = hostile.jpegWithTextInTheMiddle(jpeg, '<script>alert(1)</script>');
    const at = bytes.indexOf('<script>');
    assert.ok(at > 64 * 1024 && bytes.length - at > 64 * 1024, `markup at ${at} of ${bytes.length}`);
    await assertRefused(bytes, 'markup in the middle', /HTML or script/);
    // Guard: without the markup, the same file is fine.
    await processes(hostile.jpegWithTextInTheMiddle(jpeg, 'a plain comment'));
  });

  const payloads = [
    '<script>alert(1)</script>', '<SCRIPT SRC=//evil.example/x.js></SCRIPT>', '<ScRiPt>alert(1)</sCrIpT>',
    '<iframe srcdoc="<b>hi</b>">', '<object data="x.swf">', '<embed src=x.swf>', '<applet code=x>', '<frameset><frame src=x>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">', '<META HTTP-EQUIV=refresh CONTENT=0>',
    '<base href="https://evil.example/">', '<link rel=stylesheet href=//evil.example/x.css>', '<style>body{background:red}</style>',
    '<form action=https://evil.example/ method=post>', '<input type=image formaction=//evil.example>', '<button formaction=x>',
    '<img src=x onerror=alert(1)>', '<IMG SRC="x" ONERROR="alert(1)">', '<svg onload=alert(1)>', '<svg xmlns="http://www.w3.org/2000/svg">',
    '<svg/onload=alert(1)>', '<math><mtext>hello there</mtext></math>', '<video src=x onerror=alert(1)>', '<audio src=x>', '<body onload=alert(1)>',
    '<html><head><title>x</title></head>', '<!DOCTYPE html>', '<!doctype HTML>', '<?xml version="1.0"?>', '<?xml-stylesheet href="x.xsl"?>',
    '<!ENTITY x SYSTEM "file:///etc/passwd">', '<x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>',
    '<svg:script>alert(1)</svg:script>', '<html:iframe src=x>', '<a href="javascript:alert(1)">x</a>', '<a href="JaVa\tScRiPt:alert(1)">',
    'vbscript:msgbox(1)', '<object data="data:text/html;base64,PHNjcmlwdD4=">', '<iframe src="data:image/svg+xml,<svg>">',
    '<details open ontoggle=alert(1)>', '<div onmouseover="alert(1)">', '<p oncut=alert(1)>', 'xmlns="http://www.w3.org/1999/xhtml"',
  ];

  test('every tag family, handler, script URL and declaration is found, in any case and with a namespace prefix', async () => {
    const jpeg = hostile.camera('iphone-4s.jpg');
    for (const payload of payloads) {
      const bytes = hostile.jpegWithSegment(jpeg, Buffer.from(payload, 'latin1'), 0xfe, 2);
      assert.equal(containsMarkup(bytes), true, payload);
      await rejectsWithImageError(probeImage(bytes, 'image/jpeg', limits), 'IMAGE_INVALID', /HTML or script/);
    }
    // Also in other formats' text chunks and after the image.
    const png = await fixtures.png(32, 32);
    for (const payload of payloads) assert.equal(containsMarkup(hostile.pngWithText(png, payload)), true, `PNG ${payload}`);
  });

  test('a few stray bytes at the end are tolerated, more are not', async () => {
    const jpeg = hostile.camera('canon-powershot-s40.jpg');
    await processes(Buffer.concat([jpeg, Buffer.from('\r\n')]));
    await processes(Buffer.concat([jpeg, hostile.noise(16, 9)]));
    await assertRefused(Buffer.concat([jpeg, hostile.noise(17, 9)]), '17 stray bytes', /followed by 17 bytes/);
    await assertRefused(Buffer.concat([await fixtures.png(32, 32), hostile.noise(64, 9)]), 'PNG + 64 bytes', /followed by 64 bytes/);
  });
});

describe('what phones and cameras append', () => {
  test('a Google motion photo (JPEG + MP4) is accepted and its image is the JPEG part', async () => {
    const { bytes, image } = hostile.googleMotionPhoto(hostile.camera('canon-powershot-s400.jpg'));
    await processes(bytes);
    assert.ok(imageOnly(bytes).equals(image));
  });

  test('a Samsung motion photo (JPEG + SEF trailer holding the MP4) is accepted and its image is the JPEG part', async () => {
    const jpeg = hostile.camera('canon-powershot-s40.jpg');
    const bytes = hostile.samsungMotionPhoto(jpeg);
    await processes(bytes);
    assert.ok(imageOnly(bytes).equals(jpeg));
    // A Samsung trailer that does not add up is not one.
    const broken = Buffer.from(bytes);
    broken.writeUInt32LE(broken.readUInt32LE(broken.length - 8) + 4, broken.length - 8);
    await assertRefused(broken, 'SEF directory length off', /followed by/);
  });

  test('appended JPEGs (MPF preview, Ultra HDR gain map), zero padding and a multipart boundary are accepted', async () => {
    const primary = hostile.camera('canon-powershot-s400.jpg');
    const gainMap = await fixtures.jpeg(160, 120);
    const cases = [
      Buffer.concat([primary, gainMap]),
      Buffer.concat([primary, gainMap, Buffer.alloc(4096)]),
      Buffer.concat([primary, Buffer.alloc(100_000)]),
      Buffer.concat([primary, gainMap, hostile.mp4Video()]),
      Buffer.concat([primary, Buffer.from('\r\n--5D9144052FC54aa482D8595FB8D52F1D--\r\n')]),
    ];
    for (const bytes of cases) {
      await processes(bytes);
      assert.ok(imageOnly(bytes).equals(primary));
    }
    // An appended JPEG that is cut short is not a whole image, so it is unexplained data.
    await assertRefused(Buffer.concat([primary, gainMap.subarray(0, 2000)]), 'primary + cut gain map', /followed by/);
  });

  test('nothing is cut from a file that is only an image', () => {
    for (const { bytes } of hostile.cameraFiles().filter(({ name }) => name !== 'nokia-lumia-820.jpg')) assert.equal(imageOnly(bytes), bytes);
    const nokia = hostile.camera('nokia-lumia-820.jpg');
    assert.equal(imageOnly(nokia).length, nokia.length - 38); // its multipart boundary is not kept
  });
});

describe('no false positives on photo data', () => {
  test('camera files, noisy multi-megabyte photos and random bytes contain no markup and no other format', async () => {
    const noisyPhoto = async (width: number, height: number, seed: number) =>
      Buffer.from(await sharp(hostile.noise(width * height * 3, seed), { raw: { width, height, channels: 3 } }).jpeg({ quality: 92 }).toBuffer());
    const samples = [
      ...hostile.cameraFiles().map(({ bytes }) => bytes),
      await noisyPhoto(1600, 1200, 21),
      await noisyPhoto(1200, 1600, 22),
      hostile.noise(5 * 1024 * 1024, 23),
    ];
    let total = 0;
    for (const bytes of samples) {
      total += bytes.length;
      assert.equal(containsMarkup(bytes), false);
      assert.equal(embeddedFileKind(bytes), null);
    }
    assert.ok(total > 8 * 1024 * 1024, `only ${total} bytes checked`);
    for (const bytes of samples.slice(-3, -1)) await probeImage(bytes, 'image/jpeg', limits);
  });
});

describe('over HTTP', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
  });
  const original = async (fileId: string) => (await server.objects.read(`originals/${fileId}`)) ?? Buffer.alloc(0);
  /**
   * A baseline JPEG from its scan on (the last SOS: an EXIF thumbnail before it has its own): what is left of it as
   * it was once its metadata segments are gone (issue 23).
   */
  const scans = (jpeg: Buffer) => jpeg.subarray(jpeg.lastIndexOf(Buffer.from([0xff, 0xda]), jpeg.lastIndexOf(Buffer.from([0xff, 0xd9]))));
  /** The stored original is `image` and nothing else: its scans, ending at its EOI, without the metadata before them. */
  function assertImageAlone(stored: Buffer, image: Buffer) {
    assert.ok(scans(stored).equals(scans(image)), 'the image data, to its EOI and no further');
    assert.ok(stored.length < image.length, 'its metadata went too');
  }

  test('a motion photo is processed to ready and only its JPEG part is kept as the original', async () => {
    const token = userToken(server, `motion-${process.pid}`);
    const { bytes, image } = hostile.googleMotionPhoto(hostile.camera('canon-powershot-s40.jpg'));
    const fileId = await uploadImage(server, token, bytes);
    const file = await waitForFile(server, token, fileId);
    assert.equal(file.processing_state, 'ready', JSON.stringify(file));
    assertImageAlone(await original(fileId), image);
  });

  test('a JPEG with a ZIP appended fails as IMAGE_INVALID, and the ZIP is not kept', async () => {
    const token = userToken(server, `zip-${process.pid}`);
    const jpeg = hostile.camera('htc-one-m8.jpg');
    const fileId = await uploadImage(server, token, Buffer.concat([jpeg, hostile.zipArchive()]));
    const file = await waitForFile(server, token, fileId);
    assert.equal(file.processing_state, 'failed', JSON.stringify(file));
    assert.equal(file.error?.code, 'IMAGE_INVALID');
    assert.match(file.error.message, /ZIP/);
    assertImageAlone(await original(fileId), jpeg);
  });

  test('a progressive JPEG with hundreds of scans fails as IMAGE_TOO_COMPLEX instead of costing seconds of CPU', async () => {
    const token = userToken(server, `scans-${process.pid}`);
    const bytes = progressiveJpeg(await photoPixels(hostile.camera('nikon-d100.jpg'), 640, 480), 640, 480, manyScansScript());
    const fileId = await uploadImage(server, token, bytes);
    const file = await waitForFile(server, token, fileId);
    assert.equal(file.processing_state, 'failed', JSON.stringify(file));
    assert.equal(file.error?.code, 'IMAGE_TOO_COMPLEX');
    assert.match(file.error.message, /scans/);
  });

  test('the start of a JPEG closed with FF D9 fails as IMAGE_INVALID instead of becoming a grey avatar', async () => {
    const token = userToken(server, `grey-${process.pid}`);
    const fileId = await uploadImage(server, token, hostile.jpegStartWithEoi(await fixtures.jpeg(640, 480)));
    const file = await waitForFile(server, token, fileId);
    assert.equal(file.processing_state, 'failed', JSON.stringify(file));
    assert.equal(file.error?.code, 'IMAGE_INVALID');
    assert.match(file.error.message, /truncated/);
  });
});
