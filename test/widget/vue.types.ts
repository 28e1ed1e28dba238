// A type-level test, checked by `npm run typecheck` (nothing runs in a browser): what Vue's template type checking
// (vue-tsc, the Vue language tools) sees of the elements once an app imports 'avatar-editor/vue' (widget/vue.ts):
// a tag's props are the `$props` of its GlobalComponents entry, its `@event` handlers are checked against `$emit`.
import type { GlobalComponents } from 'vue';
import type {} from '../../widget/vue.ts';
import type { AvatarChangedDetail, AvatarErrorDetail } from '../../widget/events.ts';

type Instance<Tag extends 'avatar-editor' | 'avatar-image' | 'emote-text'> = InstanceType<GlobalComponents[Tag]>;

export const editorProps: Instance<'avatar-editor'>['$props'] = {
  endpoint: 'https://avatars.example.com',
  token: 'token',
  tokenProvider: async () => 'fresh token',
  shape: 'square',
  outputSize: 512,
  theme: 'dark',
  strings: { save: 'Keep it' },
  class: 'profile-editor',
};
// @ts-expect-error `shape` is 'circle' | 'square'
export const badShape: Instance<'avatar-editor'>['$props'] = { shape: 'hexagon' };
// @ts-expect-error `outputSize` is a number
export const badSize: Instance<'avatar-editor'>['$props'] = { outputSize: 'large' };
// @ts-expect-error internal state is not a prop
export const internalState: Instance<'avatar-editor'>['$props'] = { _stage: 'crop' };

export const imageProps: Instance<'avatar-image'>['$props'] = { userId: 'alice', size: 64, default: 'initials', name: 'Alice' };
// @ts-expect-error `default` is 'identicon' | 'initials' | '404'
export const badDefault: Instance<'avatar-image'>['$props'] = { default: 'mystery' };

export const textProps: Instance<'emote-text'>['$props'] = { body: 'hi :wave:', inlineEmotes: [], size: 64 };
// @ts-expect-error `inlineEmotes` is an array of InlineEmote
export const badEmotes: Instance<'emote-text'>['$props'] = { inlineEmotes: 'none' };

export function editorEvents(emit: Instance<'avatar-editor'>['$emit'], changed: CustomEvent<AvatarChangedDetail>, error: CustomEvent<AvatarErrorDetail>) {
  emit('avatar-changed', changed);
  emit('avatar-error', error);
  // @ts-expect-error avatar-changed carries an AvatarChangedDetail
  emit('avatar-changed', error);
  // @ts-expect-error there is no avatar-saved event
  emit('avatar-saved', changed);
}

export function editorRef(editor: Instance<'avatar-editor'>): Promise<void> {
  return editor.save(); // a template ref is the element, methods and all
}
