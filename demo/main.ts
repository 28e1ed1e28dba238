// The demo host app: signs in with the dev-mode token route, shows the editor, logs every widget event.
import '../widget/index.ts';

const server = import.meta.env.VITE_AVATAR_SERVER ?? 'http://127.0.0.1:8787';
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const editor = $<HTMLElementTagNameMap['avatar-editor']>('editor');
const headerAvatar = $<HTMLElementTagNameMap['avatar-image']>('header-avatar');

async function devToken(userId: string): Promise<string> {
  const res = await fetch(`${server}/v1/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user_id: userId }) });
  if (!res.ok) throw new Error(`token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

function log(type: string, detail: unknown) {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${type} ${JSON.stringify(detail)}`;
  $('log').prepend(item);
}

async function signIn(userId: string) {
  editor.endpoint = server;
  editor.tokenProvider = () => devToken(userId);
  editor.token = await devToken(userId);
  headerAvatar.endpoint = server;
  headerAvatar.userId = userId;
  headerAvatar.name = userId;
  $('who').textContent = userId;
  const third = new URL('/third-party.html', location.href);
  third.hostname = location.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
  third.searchParams.set('user', userId);
  $<HTMLAnchorElement>('third-party').href = third.href;
}

for (const type of ['avatar-changed', 'avatar-removed', 'avatar-error', 'upload-progress'] as const) {
  editor.addEventListener(type, (event) => log(type, event.detail));
}
$<HTMLFormElement>('signin').addEventListener('submit', (event) => {
  event.preventDefault();
  void signIn($<HTMLInputElement>('user').value);
});
$<HTMLSelectElement>('lang').addEventListener('change', (event) => {
  editor.lang = (event.target as HTMLSelectElement).value;
});
void signIn($<HTMLInputElement>('user').value);
