// The demo host app: signs in with the dev-mode token route, shows the editor, logs every widget event.
import '../widget/index.ts';

const server = import.meta.env.VITE_AVATAR_SERVER ?? 'http://127.0.0.1:8787';
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const editor = $<HTMLElementTagNameMap['avatar-editor']>('editor');
const headerAvatar = $<HTMLElementTagNameMap['avatar-image']>('header-avatar');
const emotes = $<HTMLElementTagNameMap['avatar-editor']>('emotes');

async function devToken(userId: string): Promise<string> {
  const res = await fetch(`${server}/v1/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user_id: userId }) });
  if (!res.ok) throw new Error(`token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

function log(type: string, detail: unknown) {
  const item = document.createElement('li');
  // A new avatar says first where it came from: "upload" (Photo tab) or "config" (Cartoon tab).
  const source = type === 'avatar-changed' ? ` source=${(detail as { source: string }).source}` : '';
  item.textContent = `${new Date().toLocaleTimeString()} ${type}${source} ${JSON.stringify(detail)}`;
  $('log').prepend(item);
}

async function signIn(userId: string) {
  editor.endpoint = server;
  editor.tokenProvider = () => devToken(userId);
  editor.token = await devToken(userId);
  emotes.endpoint = server;
  emotes.tokenProvider = editor.tokenProvider;
  emotes.token = editor.token;
  headerAvatar.endpoint = server;
  headerAvatar.userId = userId;
  headerAvatar.name = userId;
  $('who').textContent = userId;
  const third = new URL('/third-party.html', location.href);
  third.hostname = location.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
  third.searchParams.set('user', userId);
  $<HTMLAnchorElement>('third-party').href = third.href;
}

for (const type of ['avatar-changed', 'avatar-removed', 'avatar-error', 'upload-progress', 'emote-created', 'emote-updated', 'emote-deleted'] as const) {
  for (const element of [editor, emotes]) element.addEventListener(type, (event) => log(type, event.detail));
}

/** The chat box: the server resolves :shortcode: against the user's emotes, <emote-text> renders the result. */
$<HTMLFormElement>('say').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>('message');
  const res = await fetch(`${server}/v1/messages/parse`, {
    method: 'POST',
    headers: { authorization: `Bearer ${editor.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ body: input.value }),
  });
  const parsed = (await res.json()) as { body: string; inline_emotes: HTMLElementTagNameMap['emote-text']['inlineEmotes'] };
  log('messages/parse', parsed);
  const line = document.createElement('li');
  const text = document.createElement('emote-text');
  Object.assign(text, { endpoint: server, token: editor.token, body: parsed.body, inlineEmotes: parsed.inline_emotes });
  line.append(text);
  $('chat').append(line);
  input.value = '';
});
$<HTMLFormElement>('signin').addEventListener('submit', (event) => {
  event.preventDefault();
  void signIn($<HTMLInputElement>('user').value);
});
$<HTMLSelectElement>('lang').addEventListener('change', (event) => {
  editor.lang = (event.target as HTMLSelectElement).value;
});
$<HTMLSelectElement>('shape').addEventListener('change', (event) => {
  editor.shape = (event.target as HTMLSelectElement).value as 'circle' | 'square';
});
void signIn($<HTMLInputElement>('user').value);
