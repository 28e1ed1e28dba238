// Every state of both modes, in light and dark, at desktop width and at 375 px: zero axe violations, and the
// look the issue asked for (one design language, no native file input, themed inputs, padding, disabled look,
// nothing wider than the phone, the previews clear of the Save row).
import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { emulateMedia, setViewport } from '@web/test-runner-commands';
import '../../widget/index.ts';
import type { AvatarEditor } from '../../widget/avatar-editor.ts';
import type { AvatarEmotePanel } from '../../widget/emote-panel.ts';
import { saveDraft } from '../../widget/drafts.ts';
import { newUser, server } from './server.ts';
import { waitFor } from './fixtures.ts';
import { look } from './browser.ts';

async function png(name: string, width = 600, height = 400): Promise<File> {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#16a34a';
  ctx.fillRect(0, 0, width, height);
  return new File([await canvas.convertToBlob({ type: 'image/png' })], name, { type: 'image/png' });
}

function choose(input: HTMLInputElement, file: File) {
  const transfer = new DataTransfer();
  transfer.items.add(file);
  input.files = transfer.files;
  input.dispatchEvent(new Event('change'));
}

const rgb = (el: Element, property: string) => getComputedStyle(el).getPropertyValue(property);

/** Nothing inside `root` sticks out of `frame` horizontally. */
function assertFits(frame: Element, root: ParentNode, what: string) {
  const { left, right } = frame.getBoundingClientRect();
  for (const node of root.querySelectorAll('button, label, input, p, li, img, progress')) {
    const box = node.getBoundingClientRect();
    if (box.width === 0 || node.closest('.previews')) continue; // a preview's image is clipped by its frame
    expect(box.left, `${what}: ${node.outerHTML.slice(0, 60)} left`).to.be.at.least(left - 0.5);
    expect(box.right, `${what}: ${node.outerHTML.slice(0, 60)} right`).to.be.at.most(right + 0.5);
  }
}

const flaky = (failures: number) => `${location.origin}/__flaky/${failures}/${Math.random().toString(36).slice(2)}`;

for (const scheme of ['light', 'dark'] as const) {
  for (const width of [1000, 375]) {
    describe(`every state, ${scheme}, ${width} px wide`, () => {
      before(async () => {
        await emulateMedia({ colorScheme: scheme });
        await setViewport({ width, height: 900 });
      });
      after(async () => {
        await emulateMedia({ colorScheme: 'light' });
        await setViewport({ width: 800, height: 600 });
      });

      it('avatar mode: picker, error, crop, saving, saved, resume, cartoon', async function () {
        this.timeout(60_000);
        const user = await newUser();
        const el = await fixture<AvatarEditor>(html`<avatar-editor .endpoint=${server.url} .token=${user.token} output-size="128"></avatar-editor>`);
        const root = el.shadowRoot!;
        const section = root.querySelector('section')!;
        expect(rgb(section, 'padding-top')).to.equal('16px');
        await expect(el).to.be.accessible();

        el.maxBytes = 10;
        await el.openFile(await png('big.png'));
        await el.updateComplete;
        await expect(el, 'error').to.be.accessible();
        el.maxBytes = 25 * 1024 * 1024;

        await el.openFile(await png('photo.png'));
        await waitFor(() => el.currentCrop() !== null, 'the cropper');
        await expect(el, 'crop').to.be.accessible();
        assertFits(section, root, 'crop');
        const area = root.querySelector('avatar-crop-area')!;
        await area.ready;
        assertFits(section, area.shadowRoot!, 'crop controls');
        await look(el, `avatar-crop-${width}-${scheme}`);
        const previews = area.shadowRoot!.querySelector('[part="previews"]')!.getBoundingClientRect();
        const actions = root.querySelector('[part="actions"]')!.getBoundingClientRect();
        expect(actions.top - previews.bottom, 'the previews keep clear of the Save row').to.be.at.least(8);
        const save = root.querySelector<HTMLButtonElement>('button[part~="save"]')!;
        expect(Number(rgb(save, 'opacity'))).to.equal(1);

        // Saving through a proxy that fails twice first, so the busy state lasts long enough to look at.
        el.endpoint = flaky(2);
        await el.updateComplete;
        const changed = oneEvent(el, 'avatar-changed');
        const saving = el.save();
        await waitFor(() => save.getAttribute('aria-disabled') === 'true', 'busy');
        expect(Number(rgb(save, 'opacity')), 'a disabled button looks disabled').to.be.below(0.6);
        await expect(el, 'busy').to.be.accessible();
        await saving;
        await changed;
        await el.updateComplete;
        await expect(el, 'saved').to.be.accessible();

        await saveDraft(`${server.url}|${user.id}`, { blob: await png('draft.png'), name: 'draft.png', type: 'image/png', crop: null });
        el.endpoint = server.url;
        await waitFor(() => root.querySelector('[part~="resume"]'), 'the resume offer');
        await expect(el, 'resume').to.be.accessible();

        root.querySelector<HTMLButtonElement>('#tab-cartoon')!.click();
        await waitFor(() => root.querySelector('[part="cartoon-options"] select'), 'the cartoon options');
        await expect(el, 'cartoon').to.be.accessible();
      });

      for (const lang of ['en', 'fr']) {
        it(`emote mode (${lang}): the editor's design language, and every state accessible`, async function () {
          this.timeout(60_000);
          const user = await newUser();
          const el = await fixture<AvatarEditor>(html`<avatar-editor mode="emote" lang=${lang} .endpoint=${server.url} .token=${user.token}></avatar-editor>`);
          const panel = el.shadowRoot!.querySelector('avatar-emote-panel') as AvatarEmotePanel;
          const root = panel.shadowRoot!;
          const $ = <T extends Element>(selector: string) => root.querySelector<T>(selector)!;
          await waitFor(() => root.querySelector('[part="quota"]'), 'the quota');
          const section = $('section');
          expect(rgb(section, 'padding-top')).to.equal('16px');
          expect(root.querySelectorAll('h1, h2, h3, h4, h5, h6').length, 'no heading out of the page’s order').to.equal(0);
          // The native file input is hidden behind our own labelled button; controls follow the theme.
          const file = $<HTMLInputElement>('input[type="file"]');
          expect(file.getBoundingClientRect().width).to.be.at.most(1);
          expect(rgb($('[part~="choose"]'), 'border-top-left-radius')).to.equal('8px');
          const background = rgb(el, 'background-color');
          expect(rgb($('input[name="shortcode"]'), 'background-color')).to.equal(background);
          expect(rgb($('[part~="upload"]'), 'background-color')).to.equal(scheme === 'dark' ? 'rgb(96, 165, 250)' : 'rgb(37, 99, 235)');
          expect(Number(rgb($('[part~="upload"]'), 'opacity')), 'Upload is disabled until a file is chosen').to.be.below(0.6);
          await expect(el, 'empty').to.be.accessible();

          const shortcode = $<HTMLInputElement>('input[name="shortcode"]');
          shortcode.value = 'x';
          shortcode.dispatchEvent(new InputEvent('input'));
          await panel.updateComplete;
          await expect(el, 'invalid shortcode').to.be.accessible();

          choose(file, new File(['<svg/>'], 'x.svg', { type: 'image/svg+xml' }));
          await waitFor(() => $('[part="status"]').textContent!.trim() !== '', 'the refusal');
          await expect(el, 'refused file').to.be.accessible();

          choose(file, await png('party_cat.png', 80, 40));
          await waitFor(() => root.querySelector('avatar-crop-area')?.shadowRoot?.querySelector('cropper-image'), 'the crop area');
          await root.querySelector('avatar-crop-area')!.ready;
          assertFits(section, root.querySelector('avatar-crop-area')!.shadowRoot!, 'crop controls');
          await expect(el, 'crop').to.be.accessible();
          assertFits(section, root, 'crop');
          await look(el, `emote-crop-${width}-${scheme}-${lang}`);

          shortcode.value = 'party_cat';
          shortcode.dispatchEvent(new InputEvent('input'));
          await panel.updateComplete;
          const created = oneEvent(panel, 'emote-created');
          $<HTMLButtonElement>('button[type="submit"]').click();
          await created;
          await waitFor(() => root.querySelector('[part="emote-list"] img'), 'the listed emote');
          await expect(el, 'listed').to.be.accessible();
          assertFits(section, root, 'listed');

          const deleted = oneEvent(panel, 'emote-deleted');
          $<HTMLButtonElement>('[part~="delete"]').click();
          await deleted;
          await waitFor(() => root.querySelector('[part~="restore"]'), 'the trash');
          $<HTMLDetailsElement>('details').open = true;
          await expect(el, 'trash open').to.be.accessible();
          assertFits(section, root, 'trash');
        });
      }
    });
  }
}
