// `avatar-editor/vue` (types only): with `import type {} from 'avatar-editor/vue'` once in a Vue app (e.g. in
// env.d.ts), vue-tsc and the Vue language tools check <avatar-editor>, <avatar-image> and <emote-text> in
// templates: their properties as props, and `@avatar-changed` and the other events with their typed details.
// Vue itself needs only `isCustomElement` (README, "Vue"); nothing here runs, and the bundle does not change.
import type { EmitFn, HTMLAttributes, PublicProps } from 'vue';
import type { AvatarEditor, AvatarEditorEventMap, AvatarImage, EmoteText } from './index.ts';

/** The reactive properties a Lit element declares in `static properties`, less its internal `_state`. */
type PublicProperties<Element, Class extends { properties: object }> = Extract<
  Exclude<keyof Class['properties'], `_${string}`>,
  keyof Element
>;

/** A custom element as Vue's template type checking sees a component (Vue's documented pattern). */
type VueCustomElement<Element extends HTMLElement, Class extends { properties: object }, Events extends object = {}> = new () => Element & {
  /** @deprecated For template type checking only: not a property of the element. */
  $props: HTMLAttributes & Partial<Pick<Element, PublicProperties<Element, Class>>> & PublicProps;
  /** @deprecated For template type checking only: not a property of the element. */
  $emit: EmitFn<{ [Type in keyof Events]: (event: Events[Type]) => void }>;
};

export type AvatarEditorVue = VueCustomElement<AvatarEditor, typeof AvatarEditor, AvatarEditorEventMap>;
export type AvatarImageVue = VueCustomElement<AvatarImage, typeof AvatarImage>;
export type EmoteTextVue = VueCustomElement<EmoteText, typeof EmoteText>;

declare module 'vue' {
  interface GlobalComponents {
    'avatar-editor': AvatarEditorVue;
    'avatar-image': AvatarImageVue;
    'emote-text': EmoteTextVue;
  }
}
