// "Take a photo" on a desktop opens the camera (Chromium's fake device: a moving test pattern) with a live
// preview, a shutter and a retake, all by keyboard; a refused permission is said in the user's language; a touch
// screen keeps the native capture input. (test/e2e/embed.test.ts covers a machine with no camera at all.)
import { expect, fixture, html } from '@open-wc/testing';
import { emulateMedia, sendKeys } from '@web/test-runner-commands';
import '../../widget/index.ts';
import type { AvatarEditor } from '../../widget/avatar-editor.ts';
import type { AvatarCamera } from '../../widget/camera.ts';
import { LOCALES } from '../../widget/i18n.ts';
import { cdp, eachLook, expectFits, focused, look, touchScreen } from './browser.ts';
import { waitFor } from './fixtures.ts';
import { newUser, server } from './server.ts';

async function editor(lang = 'en'): Promise<AvatarEditor> {
  const { token } = await newUser();
  return fixture<AvatarEditor>(html`<avatar-editor lang=${lang} .endpoint=${server.url} .token=${token}></avatar-editor>`);
}

const takePhoto = (el: AvatarEditor) => el.shadowRoot!.querySelector<HTMLButtonElement>('button[part~="camera"]');
const camera = (el: AvatarEditor) => el.shadowRoot!.querySelector<AvatarCamera>('avatar-camera');
const inCamera = <T extends Element = HTMLElement>(el: AvatarEditor, selector: string) => camera(el)?.shadowRoot?.querySelector<T>(selector) ?? null;

/** Focuses "Take a photo" (found once the camera is) and presses Enter. */
async function openCamera(el: AvatarEditor) {
  await waitFor(() => takePhoto(el), 'Take a photo, once the camera is found');
  takePhoto(el)!.focus();
  await sendKeys({ press: 'Enter' });
  await waitFor(() => camera(el), 'the camera view');
}

const cameraPermission = (setting: 'granted' | 'denied' | 'prompt') => cdp('Browser.setPermission', { permission: { name: 'camera' }, setting });

describe('Take a photo', () => {
  before(() => cameraPermission('granted'));
  after(() => cameraPermission('prompt'));

  for (const scheme of ['light', 'dark'] as const) {
    it(`opens the camera on a desktop: live preview, shutter, retake, use the photo, by keyboard (${scheme})`, async function () {
      this.timeout(30_000);
      await emulateMedia({ colorScheme: scheme });
      try {
        const el = await editor();
        await openCamera(el);
        const video = () => inCamera<HTMLVideoElement>(el, 'video')!;
        await waitFor(() => video()?.videoWidth > 0 && !video().paused, 'the live preview plays');
        await waitFor(() => focused() === inCamera(el, '[part~="shutter"]'), 'focus on the shutter');
        await expect(el, 'live').to.be.accessible();
        await look(el, `camera-live-${scheme}`);
        const tracks = (video().srcObject as MediaStream).getTracks();
        const { videoWidth, videoHeight } = video();

        await sendKeys({ press: 'Enter' }); // the shutter
        await waitFor(() => inCamera(el, 'img') && focused() === inCamera(el, '[part~="use-photo"]'), 'the still, focus on Use photo');
        expect(video().paused, 'the preview holds still').to.equal(true);
        await expect(el, 'taken').to.be.accessible();
        await look(el, `camera-taken-${scheme}`);

        await sendKeys({ press: 'Tab' });
        expect(focused()).to.equal(inCamera(el, '[part~="retake"]'));
        await sendKeys({ press: 'Enter' }); // retake
        await waitFor(() => !video().paused && focused() === inCamera(el, '[part~="shutter"]'), 'live again, focus on the shutter');
        expect(Boolean(inCamera(el, 'img')), 'no photo shown').to.equal(false);

        await sendKeys({ press: 'Enter' });
        await waitFor(() => focused() === inCamera(el, '[part~="use-photo"]'), 'taken again');
        await sendKeys({ press: 'Enter' }); // use it
        await waitFor(() => el.currentCrop() !== null, 'the photo in the crop step');
        const area = el.shadowRoot!.querySelector('avatar-crop-area')!;
        expect(area.natural).to.deep.equal({ width: videoWidth, height: videoHeight });
        await waitFor(() => focused() === area.shadowRoot!.querySelector('[part="cropper"]'), 'focus on the crop area');
        expect(tracks.map((track) => track.readyState), 'the camera is released').to.deep.equal(tracks.map(() => 'ended'));
      } finally {
        await emulateMedia({ colorScheme: 'light' });
      }
    });
  }

  it('a refused camera is said in the user’s language; Cancel goes back to Take a photo', async () => {
    await cameraPermission('denied');
    try {
      const el = await editor('de');
      await openCamera(el);
      await waitFor(() => inCamera(el, '[role="status"]')?.textContent?.trim() === LOCALES.de!.cameraDenied, 'the refusal, in German');
      expect(inCamera(el, '[part="camera"]')!.hidden, 'no black preview box').to.equal(true);
      expect(focused()).to.equal(inCamera(el, '[part~="cancel"]'));
      await expect(el).to.be.accessible();
      await look(el, 'camera-denied-de');
      await sendKeys({ press: 'Enter' });
      await waitFor(() => camera(el) === null && focused() === takePhoto(el), 'back to the picker, focus on Take a photo');
    } finally {
      await cameraPermission('granted');
    }
  });

  eachLook('the live view and the still fit, read in the language, are accessible', async ({ width, scheme, lang }) => {
    const el = await editor(lang);
    const t = LOCALES[lang]!;
    await openCamera(el);
    await waitFor(() => inCamera<HTMLVideoElement>(el, 'video')!.videoWidth > 0, 'the live preview');
    expectFits(el.shadowRoot!.querySelector('section')!, camera(el)!.shadowRoot!, 'live');
    expect(inCamera(el, '[part~="shutter"]')!.textContent!.trim()).to.equal(t.shutter);
    await expect(el, 'live').to.be.accessible();
    await look(el, `camera-live-${width}-${scheme}-${lang}`);
    inCamera<HTMLButtonElement>(el, '[part~="shutter"]')!.click();
    await waitFor(() => inCamera(el, '[part~="use-photo"]'), 'the still');
    expect(inCamera(el, '[part~="retake"]')!.textContent!.trim()).to.equal(t.retake);
    await expect(el, 'taken').to.be.accessible();
    await look(el, `camera-taken-${width}-${scheme}-${lang}`);
    inCamera<HTMLButtonElement>(el, '[part~="cancel"]')!.click();
    await waitFor(() => camera(el) === null, 'closed');
  });

  it('keeps the native capture input on a touch screen', async () => {
    await touchScreen(true);
    try {
      const el = await editor();
      const input = el.shadowRoot!.querySelector<HTMLInputElement>('[part~="camera"] input[type="file"]');
      expect(input?.getAttribute('capture')).to.equal('user');
      expect(Boolean(takePhoto(el)), 'no Take a photo button').to.equal(false);
    } finally {
      await touchScreen(false);
    }
  });
});
