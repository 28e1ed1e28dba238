// What is kept of an upload as its original (server/images/originals.ts), in-process: for every accepted format,
// every metadata block goes, the orientation stays (and nothing else of EXIF), and the image decodes to exactly the
// same pixels — the data are copied, never encoded again.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { exifOrientation, keptOriginal } from '../../server/images/originals.ts';
import { sniffImageFormat } from '../../server/images/sniff.ts';
import { gif, readExif } from '../fixtures/images.ts';

const cameraDir = new URL('../fixtures/camera/', import.meta.url);
const XMP = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Alice Example</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>';

/** Decoded as the pipeline and recrop read it (orientation applied). */
const shown = (bytes: Buffer) => sharp(bytes).autoOrient().raw().toBuffer({ resolveWithObject: true });

async function assertSamePixels(before: Buffer, after: Buffer, what: string) {
  const [a, b] = await Promise.all([shown(before), shown(after)]);
  assert.deepEqual([b.info.width, b.info.height], [a.info.width, a.info.height], `${what}: the same size shown`);
  assert.ok(a.data.equals(b.data), `${what}: the same pixels`);
}

/** A 40×20 image in `format` with orientation 6, GPS, an artist's name and XMP. */
function tagged(format: 'jpeg' | 'png' | 'webp' | 'avif') {
  return sharp({ create: { width: 40, height: 20, channels: 3, background: '#c33' } })
    .withMetadata({ orientation: 6 })
    .withExifMerge({ IFD0: { Artist: 'Alice Example' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '46/1 57/1 0/1' } })
    .withXmp(XMP)
    .toFormat(format)
    .toBuffer();
}

describe('keptOriginal', () => {
  test('real camera photos: no EXIF but the orientation, no XMP, IPTC, maker notes or thumbnails; the same pixels', async () => {
    for (const name of (await readdir(cameraDir)).filter((n) => n.endsWith('.jpg'))) {
      const photo = await readFile(new URL(name, cameraDir));
      const kept = keptOriginal(photo, 'jpeg');
      const before = await sharp(photo).metadata();
      const after = await sharp(kept).metadata();
      assert.ok(kept.length < photo.length, `${name} lost its metadata (${photo.length} → ${kept.length} bytes)`);
      assert.equal(after.orientation, before.orientation === 1 ? undefined : before.orientation, `${name} keeps its orientation`);
      const exif = await readExif(kept);
      assert.ok(exif === null || (exif.gpsEntries === 0 && after.exif!.length === 6 + 26), `${name}: the EXIF block holds the orientation alone`);
      assert.deepEqual([after.xmp, after.iptc, after.comments], [undefined, undefined, undefined], name);
      assert.equal(after.icc?.length, before.icc?.length, `${name} keeps its colour profile`);
      // An EXIF thumbnail is a whole JPEG (SOI … EOI) inside APP1: only the image's own SOI is left.
      assert.equal(kept.indexOf(Buffer.from([0xff, 0xd8, 0xff]), 2), -1, `${name}: no embedded thumbnail`);
      await assertSamePixels(photo, kept, name);
      assert.ok(keptOriginal(kept, 'jpeg').equals(kept), `${name}: nothing more to take away the second time`);
    }
  });

  for (const format of ['jpeg', 'png', 'webp'] as const) {
    test(`${format}: GPS, the artist and XMP go; orientation 6 stays`, async () => {
      const image = await tagged(format);
      assert.ok(image.includes('Alice Example') || format === 'png', 'the fixture names the artist');
      const kept = keptOriginal(image, sniffImageFormat(image)!);
      const meta = await sharp(kept).metadata();
      assert.equal(meta.orientation, 6);
      assert.deepEqual(await readExif(kept), { orientation: 6, gpsEntries: 0 });
      assert.equal(meta.xmp, undefined);
      assert.ok(!kept.includes('Alice'), 'no name left');
      await assertSamePixels(image, kept, format);
    });
  }

  test('avif: the Exif and XMP items are blanked in place (the orientation is in its irot box, which stays)', async () => {
    const image = await tagged('avif');
    const kept = keptOriginal(image, 'avif');
    assert.equal(kept.length, image.length, 'no offset in the file moves');
    assert.ok(!kept.includes('Alice'), 'no name left');
    const exif = await readExif(kept);
    assert.ok(exif === null || (exif.orientation === undefined && exif.gpsEntries === 0), JSON.stringify(exif));
    await assertSamePixels(image, kept, 'avif');
  });

  test('gif: comments and application extensions other than the loop count go', async () => {
    const image = await gif(16, 8);
    const trailer = image.length - 1;
    const comment = Buffer.concat([Buffer.from([0x21, 0xfe, 13]), Buffer.from('Alice Example'), Buffer.from([0])]);
    const xmp = Buffer.concat([Buffer.from([0x21, 0xff, 11]), Buffer.from('XMP DataXMP'), Buffer.from([5]), Buffer.from('Alice'), Buffer.from([0])]);
    const loop = Buffer.from([0x21, 0xff, 11, ...Buffer.from('NETSCAPE2.0'), 3, 1, 0, 0, 0]);
    const withMetadata = Buffer.concat([image.subarray(0, trailer), comment, xmp, loop, image.subarray(trailer)]);
    const kept = keptOriginal(withMetadata, 'gif');
    assert.ok(!kept.includes('Alice'));
    assert.ok(kept.includes('NETSCAPE2.0'), 'the loop count stays');
    assert.equal(kept.length, withMetadata.length - comment.length - xmp.length);
    await assertSamePixels(withMetadata, kept, 'gif');
  });

  test('png: text and private chunks go, colour chunks stay; every chunk written has a valid CRC', async () => {
    const image = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#09f' } }).withMetadata({ orientation: 3 }).withXmp(XMP).png().toBuffer();
    const chunk = (type: string, data: Buffer) => {
      const out = Buffer.alloc(12 + data.length);
      out.writeUInt32BE(data.length, 0);
      out.write(type, 4, 'latin1');
      data.copy(out, 8);
      out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
      return out;
    };
    const extra = Buffer.concat([chunk('tEXt', Buffer.from('Author\0Alice Example')), chunk('caBX', Buffer.from('Alice Example manifest'))]);
    const withText = Buffer.concat([image.subarray(0, 33), extra, image.subarray(33)]);
    const kept = keptOriginal(withText, 'png');
    assert.ok(!kept.includes('Alice'));
    assert.equal((await sharp(kept).metadata()).orientation, 3);
    for (let at = 8; at < kept.length; ) {
      const length = kept.readUInt32BE(at);
      assert.equal(crc32(kept.subarray(at + 4, at + 8 + length)), kept.readUInt32BE(at + 8 + length), `CRC of ${kept.toString('latin1', at + 4, at + 8)}`);
      at += 12 + length;
    }
    await assertSamePixels(withText, kept, 'png');
  });

  test('data appended after the image goes too (issue 13), metadata or not', async () => {
    const image = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).jpeg().toBuffer();
    const appended = Buffer.concat([image, Buffer.from('PK\u0003\u0004 an archive')]);
    assert.ok(keptOriginal(appended, 'jpeg').equals(image));
  });

  test('exifOrientation reads both byte orders and ignores what is not an orientation', () => {
    const tiff = (le: boolean, value: number) => {
      const t = Buffer.alloc(26);
      t.write(le ? 'II' : 'MM', 0, 'latin1');
      const u16 = (v: number, at: number) => (le ? t.writeUInt16LE(v, at) : t.writeUInt16BE(v, at));
      const u32 = (v: number, at: number) => (le ? t.writeUInt32LE(v, at) : t.writeUInt32BE(v, at));
      u16(42, 2);
      u32(8, 4);
      u16(1, 8);
      u16(0x0112, 10);
      u16(3, 12);
      u32(1, 14);
      u16(value, 18);
      return t;
    };
    assert.equal(exifOrientation(tiff(true, 8)), 8);
    assert.equal(exifOrientation(tiff(false, 5)), 5);
    assert.equal(exifOrientation(tiff(false, 9)), 1);
    assert.equal(exifOrientation(Buffer.from('nonsense')), 1);
  });
});
