import { expect } from '@open-wc/testing';
import { set, createStore } from 'idb-keyval';
import type { Crop } from '../../widget/crop-geometry.ts';
import { clearDraft, draftNamespace, loadDraft, saveDraft, whenOnline } from '../../widget/drafts.ts';

/** An unsigned JWT-shaped token: drafts only read `sub`, they never verify. */
function tokenFor(sub: string): string {
  const part = (value: object) => btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub, exp: 4102444800 })}.signature`;
}

function draftOf(bytes: Uint8Array<ArrayBuffer>, crop: Crop = { x: 1, y: 2, w: 30, h: 30 }) {
  return { blob: new Blob([bytes], { type: 'image/png' }), name: 'me.png', type: 'image/png', crop };
}

const uniqueUser = () => `drafts-${crypto.randomUUID()}`;

describe('drafts', () => {
  it('saves, loads and clears a draft', async () => {
    const ns = draftNamespace('https://avatars.example', tokenFor(uniqueUser()))!;
    const before = Date.now();
    await saveDraft(ns, { ...draftOf(new Uint8Array([1, 2, 3]), { x: 1, y: 2, w: 30, h: 30, rotate: -97.5, flip: true }), pendingUpload: true });
    const loaded = await loadDraft(ns);
    expect(loaded).to.include({ name: 'me.png', type: 'image/png', pendingUpload: true });
    expect(loaded!.crop, 'the whole edit: turn and mirror too').to.deep.equal({ x: 1, y: 2, w: 30, h: 30, rotate: -97.5, flip: true });
    expect(loaded!.savedAt).to.be.within(before, Date.now());
    await clearDraft(ns);
    expect(await loadDraft(ns)).to.equal(undefined);
  });

  it('keeps the blob byte for byte', async () => {
    const ns = draftNamespace('https://avatars.example', tokenFor(uniqueUser()))!;
    const bytes = crypto.getRandomValues(new Uint8Array(64 * 1024));
    await saveDraft(ns, draftOf(bytes));
    const loaded = await loadDraft(ns);
    expect(loaded!.blob).to.be.instanceOf(Blob);
    expect(loaded!.blob.type).to.equal('image/png');
    expect(new Uint8Array(await loaded!.blob.arrayBuffer())).to.deep.equal(bytes);
    await clearDraft(ns);
  });

  it('keeps users and servers apart', async () => {
    const alice = tokenFor(uniqueUser());
    const bob = tokenFor(uniqueUser());
    const aliceHere = draftNamespace('https://one.example/', alice)!;
    const aliceThere = draftNamespace('https://two.example', alice)!;
    const bobHere = draftNamespace('https://one.example', bob)!;
    expect(new Set([aliceHere, aliceThere, bobHere]).size).to.equal(3);

    await saveDraft(aliceHere, draftOf(new Uint8Array([1])));
    expect(await loadDraft(aliceThere)).to.equal(undefined);
    expect(await loadDraft(bobHere)).to.equal(undefined);
    await saveDraft(bobHere, draftOf(new Uint8Array([2]), { x: 0, y: 0, w: 5, h: 5 }));
    await clearDraft(bobHere);
    expect((await loadDraft(aliceHere))!.crop).to.deep.equal({ x: 1, y: 2, w: 30, h: 30 });
    await clearDraft(aliceHere);
  });

  it('reads a draft of an earlier version, whose quarter turn was kept next to the crop', async () => {
    const ns = draftNamespace('https://avatars.example', tokenFor(uniqueUser()))!;
    const blob = new Blob([new Uint8Array([1])], { type: 'image/png' });
    await set(ns, { blob, name: 'old.png', type: 'image/png', crop: { x: 1, y: 2, w: 30, h: 30 }, rotate: 90, savedAt: Date.now() }, createStore('avatar-editor', 'drafts'));
    expect((await loadDraft(ns))!.crop).to.deep.equal({ x: 1, y: 2, w: 30, h: 30, rotate: 90 });
    await clearDraft(ns);
  });

  it('has no namespace without a readable token', () => {
    expect(draftNamespace('https://one.example', undefined)).to.equal(null);
    expect(draftNamespace('https://one.example', 'not-a-jwt')).to.equal(null);
    expect(draftNamespace('https://one.example/', tokenFor('u1'))).to.equal('https://one.example|u1');
  });
});

describe('whenOnline', () => {
  it('resolves at once while the browser is online: before a task queued just before it', async () => {
    expect(navigator.onLine).to.equal(true);
    const order: string[] = [];
    const task = new Promise<void>((resolve) =>
      setTimeout(() => {
        order.push('task');
        resolve();
      }),
    );
    await whenOnline().then(() => order.push('online'));
    await task;
    expect(order).to.deep.equal(['online', 'task']);
  });

  it('rejects with the abort reason when aborted first', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await whenOnline(controller.signal).then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(DOMException);
    expect((error as DOMException).name).to.equal('AbortError');
  });
});
