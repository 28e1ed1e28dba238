// From what the cropper shows to a crop in image pixels, and back.
import { expect } from '@open-wc/testing';
import { boxFromCrop, cropFromBoxes, normaliseRotation } from '../../widget/crop-geometry.ts';

// A 400×200 image shown at half size, its top-left corner at (10, 20) on the page.
const image = { left: 10, top: 20, width: 200, height: 100 };

describe('crop geometry', () => {
  it('a square crop takes the smaller side and is shifted back inside the image', () => {
    expect(cropFromBoxes(image, { left: 60, top: 20, width: 50, height: 60 }, 400, 200, 0)).to.deep.equal({ x: 100, y: 0, w: 100, h: 100 });
    // Hanging over the right edge: same side, moved left.
    expect(cropFromBoxes(image, { left: 180, top: 20, width: 50, height: 50 }, 400, 200, 0)).to.deep.equal({ x: 300, y: 0, w: 100, h: 100 });
    // Larger than the image: the image's smaller side.
    expect(cropFromBoxes(image, { left: 0, top: 0, width: 500, height: 500 }, 400, 200, 0)).to.deep.equal({ x: 0, y: 0, w: 200, h: 200 });
  });

  it('a free crop is the part of the selection on the image, any rectangle', () => {
    expect(cropFromBoxes(image, { left: 10, top: 20, width: 150, height: 25 }, 400, 200, 0, false)).to.deep.equal({ x: 0, y: 0, w: 300, h: 50 });
    // Hanging over the left and bottom edges: cut to the image, not shifted.
    expect(cropFromBoxes(image, { left: 0, top: 100, width: 60, height: 60 }, 400, 200, 0, false)).to.deep.equal({ x: 0, y: 160, w: 100, h: 40 });
    // Never empty.
    expect(cropFromBoxes(image, { left: 300, top: 300, width: 5, height: 5 }, 400, 200, 0, false)).to.deep.equal({ x: 399, y: 199, w: 1, h: 1 });
  });

  it('rotation by 90° swaps the image sides, and boxFromCrop inverts cropFromBoxes', () => {
    const rotated = { left: 10, top: 20, width: 100, height: 200 }; // the 400×200 image turned: 200×400 shown at half size
    const crop = cropFromBoxes(rotated, { left: 20, top: 60, width: 80, height: 80 }, 400, 200, 90);
    expect(crop).to.deep.equal({ x: 20, y: 80, w: 160, h: 160 });
    expect(boxFromCrop(rotated, crop, 400, 200, 90)).to.deep.equal({ left: 20, top: 60, width: 80, height: 80 });
    expect([-90, 0, 90, 360, 450, 181].map(normaliseRotation)).to.deep.equal([270, 0, 90, 0, 90, 180]);
  });
});
