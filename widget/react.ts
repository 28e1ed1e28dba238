// `avatar-editor/react`: React components for the widget's elements (@lit/react), with the events as typed
// `on…` props. Built on its own (scripts/build-react.mjs) as dist/widget/react.js, which imports the elements from
// the one-script-tag bundle next to it and leaves `react` and `@lit/react` to the host app's bundler: neither is
// bundled, and the bundle itself does not change.
import { createComponent, type EventName } from '@lit/react';
import * as React from 'react';
import { AvatarEditor as AvatarEditorElement, AvatarImage as AvatarImageElement, EmoteText as EmoteTextElement, type AvatarEditorEventMap } from './index.ts';

/** 'avatar-changed' → 'AvatarChanged'. */
type Pascal<Name extends string> = Name extends `${infer Head}-${infer Tail}` ? `${Capitalize<Head>}${Pascal<Tail>}` : Capitalize<Name>;

/** Every event of events.ts, by its prop: the annotation makes this name each event, and nothing else. */
const editorEvents: { [Type in keyof AvatarEditorEventMap as `on${Pascal<Type>}`]: Type } = {
  onAvatarChanged: 'avatar-changed',
  onAvatarRemoved: 'avatar-removed',
  onAvatarError: 'avatar-error',
  onUploadProgress: 'upload-progress',
  onEmoteCreated: 'emote-created',
  onEmoteUpdated: 'emote-updated',
  onEmoteDeleted: 'emote-deleted',
};

/** `onAvatarChanged: EventName<CustomEvent<AvatarChangedDetail>>`, …: each handler's event typed from events.ts. */
type EditorEvents = { [Type in keyof AvatarEditorEventMap as `on${Pascal<Type>}`]: EventName<AvatarEditorEventMap[Type]> };

/** `<avatar-editor>`: its properties as props (`endpoint`, `token`, `tokenProvider`, `strings`, …), its events as `on…`. */
export const AvatarEditor = createComponent({
  react: React,
  tagName: 'avatar-editor',
  elementClass: AvatarEditorElement,
  events: editorEvents as EditorEvents,
  displayName: 'AvatarEditor',
});

/** `<avatar-image>`: any user's avatar, refreshed when an editor on the page changes it. */
export const AvatarImage = createComponent({
  react: React,
  tagName: 'avatar-image',
  elementClass: AvatarImageElement,
  displayName: 'AvatarImage',
});

/** `<emote-text>`: a message body with its `inlineEmotes` shown as images. */
export const EmoteText = createComponent({
  react: React,
  tagName: 'emote-text',
  elementClass: EmoteTextElement,
  displayName: 'EmoteText',
});

export type { AvatarChangedDetail, AvatarRemovedDetail, AvatarErrorDetail, UploadProgressDetail, EmoteEventDetail, AvatarEditorEventMap, Emote, InlineEmote, Strings } from './index.ts';
export type { AvatarEditorElement, AvatarImageElement, EmoteTextElement };
