// avatar-editor/react (widget/react.ts) rendered by React 19 in real Chromium, against the real avatar-server.
import { expect } from '@open-wc/testing';
import { createElement, createRef, type ReactElement } from 'react';
import { flushSync } from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';
import {
  AvatarEditor,
  AvatarImage,
  EmoteText,
  type AvatarChangedDetail,
  type AvatarEditorElement,
  type AvatarErrorDetail,
  type AvatarImageElement,
  type EmoteTextElement,
  type InlineEmote,
} from '../../widget/react.ts';
import { quadrantsPng, waitFor } from './fixtures.ts';
import { newUser, server } from './server.ts';

let root: Root | null = null;
let container: HTMLElement | null = null;

/** Renders `element` into a fresh root, synchronously, as a React app's first render. */
function render(element: ReactElement) {
  container ??= document.body.appendChild(document.createElement('div'));
  root ??= createRoot(container);
  flushSync(() => root!.render(element));
}

afterEach(() => {
  root?.unmount();
  container?.remove();
  root = null;
  container = null;
});

describe('avatar-editor/react', () => {
  it('<AvatarEditor>: props become properties, a save reaches onAvatarChanged, and <AvatarImage> follows it', async () => {
    const user = await newUser();
    const editor = createRef<AvatarEditorElement>();
    const image = createRef<AvatarImageElement>();
    const changed: AvatarChangedDetail[] = [];
    const phases: string[] = [];
    const tokenProvider = () => user.token;
    render(
      createElement('div', null, [
        createElement(AvatarEditor, {
          key: 'editor',
          ref: editor,
          endpoint: server.url,
          token: user.token,
          tokenProvider,
          outputSize: 256,
          shape: 'square',
          strings: { save: 'Keep it' },
          onAvatarChanged: (event) => changed.push(event.detail),
          onUploadProgress: (event) => phases.push(event.detail.phase),
        }),
        createElement(AvatarImage, { key: 'image', ref: image, endpoint: server.url, userId: user.id, size: 64 }),
      ]),
    );

    const el = editor.current!;
    expect(el).to.be.instanceOf(customElements.get('avatar-editor')!);
    expect(el.tokenProvider).to.equal(tokenProvider); // a function: only a property can carry it
    expect(el.outputSize).to.equal(256);
    expect(el.shape).to.equal('square');
    await el.updateComplete;
    expect(el.getAttribute('shape')).to.equal('square');
    const before = image.current!.src;
    expect(before).to.include(`/v1/users/${user.id}/avatar/image?size=64`);

    expect(await el.openFile(await quadrantsPng(600, 400))).to.equal(true);
    await waitFor(() => el.currentCrop() !== null, 'the cropper shows the image');
    expect(el.shadowRoot!.querySelector('[part~="save"]')!.textContent).to.equal('Keep it');
    await el.save();
    await waitFor(() => changed.length > 0, 'onAvatarChanged');

    expect(changed).to.have.length(1);
    const [detail] = changed as [AvatarChangedDetail];
    expect(detail.user_id).to.equal(user.id);
    expect(detail.source).to.equal('upload');
    expect(phases).to.include.members(['processing', 'upload']);
    const served = await fetch(detail.urls['256']!);
    expect(served.status).to.equal(200);
    expect(served.headers.get('content-type')).to.equal('image/webp');
    // <AvatarImage> shows the new avatar from the event's own sources, not the redirect it showed for "no avatar".
    await waitFor(() => image.current!.shadowRoot!.querySelector('picture img'), '<AvatarImage> to follow the new avatar');
    // The WebP srcset is the <img>'s own (the <picture>'s one <source> is AVIF).
    const webp = image.current!.shadowRoot!.querySelector<HTMLImageElement>('picture img')!;
    expect(webp.srcset).to.contain(`${detail.urls['64']} 64w`);
  });

  it('<AvatarEditor>: onAvatarError gets the refusal, and a re-render swaps the handler', async () => {
    const user = await newUser();
    const editor = createRef<AvatarEditorElement>();
    const first: AvatarErrorDetail[] = [];
    const second: AvatarErrorDetail[] = [];
    const props = { ref: editor, endpoint: server.url, token: user.token };
    render(createElement(AvatarEditor, { ...props, onAvatarError: (event) => first.push(event.detail) }));
    const svg = new File(['<svg/>'], 'x.svg', { type: 'image/svg+xml' });

    expect(await editor.current!.openFile(svg)).to.equal(false);
    expect(first.map((d) => d.code)).to.deep.equal(['UNSUPPORTED_MEDIA_TYPE']);
    expect(first[0]!.retryable).to.equal(false);

    render(createElement(AvatarEditor, { ...props, onAvatarError: (event) => second.push(event.detail) }));
    expect(await editor.current!.openFile(svg)).to.equal(false);
    expect(second.map((d) => d.code)).to.deep.equal(['UNSUPPORTED_MEDIA_TYPE']);
    expect(first).to.have.length(1); // the old handler was removed
  });

  it('<EmoteText>: the body and its inlineEmotes (an array, as a property) render as text', async () => {
    const text = createRef<EmoteTextElement>();
    const inlineEmotes: InlineEmote[] = [];
    render(createElement(EmoteText, { ref: text, endpoint: server.url, body: 'hi <b>there</b> :wave:', inlineEmotes }));
    const el = text.current!;
    expect(el.inlineEmotes).to.equal(inlineEmotes);
    await el.updateComplete;
    expect(el.shadowRoot!.textContent).to.equal('hi <b>there</b> :wave:');
    expect(el.shadowRoot!.querySelectorAll('b').length).to.equal(0);
  });
});

/** Checked by `npm run typecheck` (never called): each handler's event is typed from widget/events.ts. */
export function handlerTypes() {
  return [
    createElement(AvatarEditor, { onAvatarChanged: (event) => event.detail.urls['256'] }),
    createElement(AvatarEditor, { onAvatarError: (event) => event.detail.retryable }),
    createElement(AvatarEditor, { onEmoteCreated: (event) => event.detail.emote.shortcode }),
    // @ts-expect-error avatar-changed's detail has no `code`
    createElement(AvatarEditor, { onAvatarChanged: (event) => event.detail.code }),
    // @ts-expect-error `shape` is 'circle' | 'square'
    createElement(AvatarEditor, { shape: 'hexagon' }),
    // @ts-expect-error there is no avatar-saved event
    createElement(AvatarEditor, { onAvatarSaved: () => {} }),
  ];
}
