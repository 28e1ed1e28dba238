// The widget's entry: defines <avatar-editor> and <avatar-image> and exports their types.
import { AvatarEditor } from './avatar-editor.ts';
import { AvatarImage } from './avatar-image.ts';
import { EmoteText, renderEmoteText } from './emote-text.ts';

if (!customElements.get('avatar-editor')) customElements.define('avatar-editor', AvatarEditor);
if (!customElements.get('avatar-image')) customElements.define('avatar-image', AvatarImage);

export { AvatarEditor, AvatarImage, EmoteText, renderEmoteText };
export type { AvatarChangedDetail, AvatarRemovedDetail, AvatarErrorDetail, UploadProgressDetail, EmoteEventDetail, AvatarEditorEventMap } from './events.ts';
export type { Emote, EmoteQuota } from './api/emotes.ts';
export type { InlineEmote } from './emote-text.ts';
export type { Strings } from './i18n.ts';
