// What the tests of issue 18 do as a user would: open an editor, pick a file (the OS dialog's answer), find what has
// focus, reach a control with Tab, and point the editor at a server that fails for a while or not at all.
import { fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../widget/index.ts';
import type { AvatarEditor } from '../../widget/avatar-editor.ts';
import { focused } from './browser.ts';
import { server } from './server.ts';

/** The discard port: nothing listens there, as with a stopped server. */
export const STOPPED_SERVER = 'http://127.0.0.1:9';

/** An avatar-mode editor on the page (output-size 128, for quick saves), with its status line and buttons. */
export async function avatarEditor(token: string, { endpoint = server.url, lang = 'en' } = {}) {
  const el = await fixture<AvatarEditor>(html`<avatar-editor lang=${lang} output-size="128" .endpoint=${endpoint} .token=${token}></avatar-editor>`);
  await el.updateComplete;
  const root = el.shadowRoot!;
  return {
    el,
    root,
    status: () => root.querySelector('[part="status"]')!.textContent!.trim(),
    button: (part: string) => root.querySelector<HTMLButtonElement>(`button[part~="${part}"]`),
  };
}

/** A flat-coloured PNG as a File (what a file dialog hands over). */
export async function pngFile(name = 'photo.png', width = 600, height = 400, colour = '#e11d48'): Promise<File> {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = colour;
  ctx.fillRect(0, 0, width, height);
  return new File([await canvas.convertToBlob({ type: 'image/png' })], name, { type: 'image/png' });
}

/** What the file dialog does when the user picks `file` in `input`. */
export function choose(input: HTMLInputElement, file: File) {
  const transfer = new DataTransfer();
  transfer.items.add(file);
  input.files = transfer.files;
  input.dispatchEvent(new Event('change'));
}

/** Whether focus is on something inside `host` (in its shadow tree), not on <body> or the host itself. */
export function focusIsInside(host: Element): boolean {
  const active = focused();
  return active !== null && active !== host && (host.contains(active) || isInShadowOf(host, active));
}

function isInShadowOf(host: Element, node: Node): boolean {
  for (let root = node.getRootNode(); root instanceof ShadowRoot; root = root.host.getRootNode()) {
    if (root.host === host) return true;
  }
  return false;
}

/** Presses Tab (Shift+Tab with `back`) until `target()` has focus, as a keyboard user would. */
export async function tabTo(target: () => Element | null | undefined, what: string, back = false) {
  for (let i = 0; i < 60; i++) {
    const wanted = target();
    if (wanted && focused() === wanted) return;
    if (back) await sendKeys({ down: 'Shift' });
    await sendKeys({ press: 'Tab' });
    if (back) await sendKeys({ up: 'Shift' });
  }
  throw new Error(`Tab never reached ${what}`);
}

/** A proxy to the test server that answers 503 to the first `failures` requests (a fresh count per call). */
export const flakyEndpoint = (failures: number) => `${location.origin}/__flaky/${failures}/${Math.random().toString(36).slice(2)}`;
