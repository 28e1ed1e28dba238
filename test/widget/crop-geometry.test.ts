// The crop view's geometry: where the image sits under the window, its limits, and the crop it shows.
import { expect } from '@open-wc/testing';
import { cropFields } from '../../widget/api/upload.ts';
import {
  clampView,
  covers,
  cropOf,
  fitWindow,
  flipView,
  imageTransform,
  minZoom,
  previewTransform,
  rotateBy,
  splitRotation,
  toImage,
  viewOf,
  zoomAt,
  type View,
} from '../../widget/crop-geometry.ts';

const image = { width: 400, height: 200 };
const stage = { width: 500, height: 320 };
// A fixed 272 px window in the middle of the stage.
const window = { x: 114, y: 24, w: 272, h: 272 };
const centre: [number, number] = [250, 160];

/** Seeded, so a failure reproduces. */
function randoms(seed = 7) {
  return () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
}

const near = (actual: number, expected: number, what: string, within = 1e-6) => expect(actual, what).to.be.closeTo(expected, within);

describe('crop geometry', () => {
  it('opens fitting: the least zoom at which the image covers the window, whatever its turn', () => {
    near(minZoom(window, image, 0), 272 / 200, 'the short side fills the window');
    near(minZoom(window, image, 90), 272 / 200, 'a quarter turn: the same side, now across');
    // Straightened, the window's box in the image's frame grows by cos + sin, and a pixel is kept clear each side.
    const turned = 272 * (Math.cos(Math.PI / 18) + Math.sin(Math.PI / 18));
    near(minZoom(window, image, 10), turned / (200 - 2), 'straightened by 10°');
    const centred = clampView({ x: 250, y: 160, zoom: 0.1, rotate: 0, flip: false }, window, stage, image);
    near(centred.zoom, 272 / 200, 'zoomed in to cover');
    expect(cropOf(centred, window, image), 'the largest centred square').to.deep.equal({ x: 100, y: 0, w: 200, h: 200 });
    // Far off to the left: moved only as far as covering needs, so the window is at the image's right end.
    expect(cropOf(clampView({ x: 0, y: 0, zoom: 0.1, rotate: 0, flip: false }, window, stage, image), window, image)).to.deep.equal({ x: 200, y: 0, w: 200, h: 200 });
  });

  it('keeps the window on the image for any zoom, place, turn and mirror', () => {
    const random = randoms();
    for (let i = 0; i < 500; i++) {
      const wild: View = { x: random() * 900 - 200, y: random() * 700 - 200, zoom: random() * 4, rotate: random() * 720 - 360, flip: random() < 0.5 };
      const view = clampView(wild, window, stage, image);
      expect(covers(view, window, image), JSON.stringify(wild)).to.equal(true);
      // The crop's corners, taken back into the image, lie on it.
      for (const [x, y] of [[window.x, window.y], [window.x + window.w, window.y], [window.x, window.y + window.h], [window.x + window.w, window.y + window.h]] as const) {
        const [u, v] = toImage(view, [x, y], image);
        expect(u).to.be.within(-1e-6, image.width + 1e-6);
        expect(v).to.be.within(-1e-6, image.height + 1e-6);
      }
    }
  });

  it('leaves a view that already covers the window as it is', () => {
    const view: View = { x: 260, y: 150, zoom: 2, rotate: 0, flip: false };
    expect(clampView(view, window, stage, image)).to.deep.equal(view);
  });

  it('zooms about the pointer: the image point under it stays under it', () => {
    const view: View = { x: 250, y: 160, zoom: 2, rotate: 30, flip: true };
    const pointer: [number, number] = [230, 150];
    const before = toImage(view, pointer, image);
    const zoomed = zoomAt(view, 1.5, pointer, window, stage, image);
    near(zoomed.zoom, 3, 'zoom');
    const after = toImage(zoomed, pointer, image);
    near(after[0], before[0], 'x');
    near(after[1], before[1], 'y');
    // Never below covering, never above the most.
    near(zoomAt(view, 0.01, pointer, window, stage, image).zoom, minZoom(window, image, 30), 'least');
    expect(zoomAt(view, 1000, pointer, window, stage, image).zoom).to.be.below(1000);
  });

  it('turns and mirrors about the window centre, and the crop follows', () => {
    const view = clampView({ x: 250, y: 160, zoom: 1.5, rotate: 0, flip: false }, window, stage, image);
    const middle = toImage(view, centre, image);
    const turned = rotateBy(view, 90, window, stage, image);
    const mirrored = flipView(turned, window, stage, image);
    for (const v of [turned, mirrored]) {
      const [u, w] = toImage(v, centre, image);
      near(u, middle[0], 'the centre stays');
      near(w, middle[1], 'the centre stays');
    }
    // Mirroring what is shown: the turn is mirrored too.
    expect(mirrored).to.include({ rotate: -90, flip: true });
    const crop = cropOf(mirrored, window, image);
    expect(crop).to.include({ rotate: -90, flip: true, w: 181, h: 181 });
    expect(splitRotation(-97.5)).to.deep.equal({ quarter: -90, straighten: -7.5 });
  });

  it('viewOf reopens the crop cropOf read, turned, straightened and mirrored', () => {
    const random = randoms(11);
    for (let i = 0; i < 100; i++) {
      const view = clampView({ x: random() * 500, y: random() * 320, zoom: 1.4 + random() * 3, rotate: random() * 360 - 180, flip: random() < 0.5 }, window, stage, image);
      const crop = cropOf(view, window, image);
      const again = cropOf(viewOf(crop, window, image), window, image);
      expect(again, JSON.stringify(view)).to.deep.equal(crop);
    }
  });

  it('draws the image where toImage says: the CSS transform of cropper-image and of the previews', () => {
    const view: View = { x: 240, y: 170, zoom: 1.7, rotate: 23, flip: true };
    const point: [number, number] = [50, 120]; // an image pixel
    // cropper-image: the natural size at the stage's corner, transformed about its centre.
    const m = new DOMMatrix(imageTransform(view, image));
    const shown = new DOMMatrix().translate(image.width / 2, image.height / 2).multiply(m).translate(-image.width / 2, -image.height / 2).transformPoint({ x: point[0], y: point[1] });
    const back = toImage(view, [shown.x, shown.y], image);
    near(back[0], point[0], 'x', 1e-9);
    near(back[1], point[1], 'y', 1e-9);
    // A 48 px preview: the window's corners land on the preview's corners.
    const { scale, transform } = previewTransform(view, window, image, 48);
    const p = new DOMMatrix(transform);
    for (const [sx, sy, px, py] of [[window.x, window.y, 0, 0], [window.x + window.w, window.y + window.h, 48, 48]] as const) {
      const [u, v] = toImage(view, [sx, sy], image);
      const at = p.transformPoint({ x: u * scale, y: v * scale });
      near(at.x, px, 'preview x', 1e-9);
      near(at.y, py, 'preview y', 1e-9);
    }
  });

  it('lets a dragged window go as far as the stage and the image allow, sliding along an edge', () => {
    const view: View = { x: 250, y: 160, zoom: 1, rotate: 0, flip: false }; // the image from (50, 60) to (450, 260)
    const from = { x: 100, y: 100, w: 100, h: 100 };
    expect(fitWindow(from, { ...from, x: 140, y: 120 }, view, stage, image)).to.deep.equal({ ...from, x: 140, y: 120 });
    // Dragged up-left past the image's corner: stops at the left edge and at the top edge.
    const stopped = fitWindow(from, { ...from, x: 0, y: 0 }, view, stage, image);
    near(stopped.x, 50, 'left edge', 0.01);
    near(stopped.y, 60, 'top edge', 0.01);
    // Resized past the bottom: grows until it touches it, and stays square.
    const grown = fitWindow(from, { x: 100, y: 100, w: 300, h: 300 }, view, stage, image);
    near(grown.y + grown.h, 260, 'bottom edge', 0.05);
    near(grown.w, grown.h, 'square');
  });
});

describe('the crop sent to the server', () => {
  it('is a plain rectangle: a turned or mirrored crop is refused (the worker draws those)', () => {
    expect(cropFields({ x: 1, y: 2, w: 30, h: 40 })).to.deep.equal({ crop_x: 1, crop_y: 2, crop_w: 30, crop_h: 40 });
    expect(cropFields(null)).to.deep.equal({});
    expect(() => cropFields({ x: 1, y: 2, w: 30, h: 40, rotate: 90 })).to.throw(RangeError);
    expect(() => cropFields({ x: 1, y: 2, w: 30, h: 40, flip: true })).to.throw(RangeError);
  });
});
