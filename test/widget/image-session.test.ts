// What the image worker keeps between calls (widget/worker/image-session.ts), in real Chromium: the photo is
// decoded once per pick, however often it is processed; the same crop asked for ahead of Save and at Save is
// processed once; a render asked for ahead of time gives way to a newer one; a new pick lets the old bitmap go.
import { expect } from '@open-wc/testing';
import { createImageSession, type ImageSession } from '../../widget/worker/image-session.ts';
import { decode } from '../../widget/worker/process-image.ts';
import { BLUE, GREEN, RED, YELLOW, colourDistance, decodePixels, quadrantColours, quadrantsPng } from './fixtures.ts';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error,
  );
}

describe('image session (the worker keeps the picked photo)', () => {
  let decoded: ImageBitmap[];
  let session: ImageSession;
  let photo: Blob;

  beforeEach(async () => {
    decoded = [];
    // The real decoder, counted.
    session = createImageSession(async (input) => {
      const bitmap = await decode(input);
      decoded.push(bitmap);
      return bitmap;
    });
    photo = await quadrantsPng(800, 600);
  });

  it('decodes the photo once per pick, however many crops are processed', async () => {
    expect(await session.open(1, photo)).to.deep.equal({ width: 800, height: 600 });
    const left = await session.process(photo, { crop: { x: 0, y: 0, w: 400, h: 400 }, outputSize: 100 }, 1);
    const right = await session.process(photo, { crop: { x: 400, y: 200, w: 400, h: 400 }, outputSize: 100 }, 1);
    expect(decoded).to.have.length(1);
    // Each result is its own crop of the kept bitmap.
    const [leftTopLeft] = quadrantColours(await decodePixels(left.blob));
    const [, , , rightBottomRight] = quadrantColours(await decodePixels(right.blob));
    expect(colourDistance(leftTopLeft, RED)).to.be.below(40);
    expect(colourDistance(rightBottomRight, YELLOW)).to.be.below(40);
    expect([left.width, left.height, left.type]).to.deep.equal([100, 100, 'image/webp']);
  });

  it('the crop asked for once it settled and the same crop at Save are processed once: Save gets that result', async () => {
    await session.open(1, photo);
    const options = { crop: { x: 100, y: 100, w: 300, h: 300 }, rotate: 90, outputSize: 200 };
    const ahead = session.process(photo, options, 1, true);
    const atSave = session.process(photo, { ...options }, 1);
    expect(await atSave).to.equal(await ahead);
    expect(decoded).to.have.length(1);
  });

  it('a render asked for ahead of time gives way to a newer crop asked for before it starts', async () => {
    await session.open(1, photo);
    const stale = session.process(photo, { crop: { x: 0, y: 0, w: 300, h: 300 }, outputSize: 100 }, 1, true);
    const newer = session.process(photo, { crop: { x: 300, y: 300, w: 300, h: 300 }, outputSize: 100 }, 1);
    expect((await rejection(stale)).name).to.equal('SupersededError');
    expect((await newer).width).to.equal(100);
  });

  it('a new pick lets the previous bitmap go; a photo that is not the open one is decoded for its call alone', async () => {
    await session.open(1, photo);
    const second = await quadrantsPng(400, 400, [BLUE, GREEN, RED, YELLOW]);
    await session.open(2, second);
    expect(decoded).to.have.length(2);
    expect(decoded[0]!.width, 'closed').to.equal(0);
    await session.process(photo, { crop: null, outputSize: 50 }, 1); // photo 1 is no longer open
    expect(decoded).to.have.length(3);
    expect(decoded[2]!.width, 'closed after its call').to.equal(0);
    await session.process(second, { crop: null, outputSize: 50 }, 2);
    expect(decoded).to.have.length(3);
  });

  it('a photo that does not decode is refused at open, and nothing is kept', async () => {
    const text = new Blob(['not an image'], { type: 'image/png' });
    expect((await rejection(session.open(1, text))).name).to.equal('DecodeError');
    await session.process(photo, { crop: null, outputSize: 50 }, 1);
    expect(decoded).to.have.length(1, 'decoded for the call: photo 1 is not open');
  });
});
