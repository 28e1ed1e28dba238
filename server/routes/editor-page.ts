// The hosted editor page (GET /editor/{session_id}) and its error pages, with their headers. The page runs the
// widget from this server for one user; its one inline script (allowed by a per-response nonce) waits for an avatar
// still processing, then mounts <avatar-editor> and tells the opener or parent window about a save.

export type SessionType = 'edit-existing' | 'create';

export interface EditorPage {
  nonce: string;
  token: string;
  type: SessionType;
  returnUrl: string | null;
  /** Origins messages are posted to; null when every origin is allowed ('*', dev mode): then only the embedder's. */
  messageOrigins: string[] | null;
}

/** Where the page may be framed: the allowed origins only ('*' only when every origin is allowed). */
function frameAncestors(allowedOrigins: readonly string[]): string {
  if (allowedOrigins.includes('*')) return '*';
  return allowedOrigins.length > 0 ? allowedOrigins.join(' ') : "'none'";
}

/** Headers of every editor page, the error pages included. `ownOrigin` is the origin of the URLs the API hands out. */
export function pageHeaders(allowedOrigins: readonly string[], ownOrigin: string, nonce: string | null): Record<string, string> {
  const self = `'self' ${ownOrigin}`;
  const csp = nonce
    ? [
        "default-src 'none'",
        `script-src ${self} 'nonce-${nonce}'`,
        // Lit and cropper set style attributes; styles cannot run code.
        `style-src ${self} 'unsafe-inline'`,
        `img-src ${self} blob: data:`,
        `connect-src ${self} blob:`,
        'worker-src blob:', // the widget's image worker
        "base-uri 'none'",
        "form-action 'none'",
        `frame-ancestors ${frameAncestors(allowedOrigins)}`,
      ]
    : ["default-src 'none'", "style-src 'unsafe-inline'", "base-uri 'none'", "form-action 'none'", `frame-ancestors ${frameAncestors(allowedOrigins)}`];
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': csp.join('; '),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Robots-Tag': 'noindex',
  };
}

/** JSON that is safe inside a <script> element whatever the strings in it. */
const scriptJson = (value: unknown) =>
  JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);

const STYLE = `
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { margin: 0; padding: 1rem; }
  main { max-width: 40rem; margin: 0 auto; }
  h1 { font-size: 1.25rem; margin: 0 0 1rem; }
  progress { width: 100%; }
`;

// Runs in the browser. Messages go only to exact origins (never '*'): a target whose origin differs drops them.
const SCRIPT = `
const session = JSON.parse(document.getElementById('avatar-session').textContent);
const status = document.getElementById('status');
const progress = document.getElementById('progress');
const authorization = 'Bearer ' + session.token;

function messageOrigins() {
  if (session.messageOrigins) return session.messageOrigins;
  const origins = [];
  const ancestor = location.ancestorOrigins && location.ancestorOrigins[0];
  if (ancestor && ancestor !== 'null') origins.push(ancestor);
  else if (document.referrer) origins.push(new URL(document.referrer).origin);
  if (session.returnUrl) origins.push(new URL(session.returnUrl).origin);
  return [...new Set(origins)];
}

function tell(type, detail) {
  const windows = [];
  if (window.parent !== window) windows.push(window.parent);
  if (window.opener) windows.push(window.opener);
  for (const target of windows) {
    for (const origin of messageOrigins()) {
      try {
        target.postMessage({ type, detail }, origin);
      } catch {
        // a closed opener
      }
    }
  }
}

async function currentUser() {
  const res = await fetch('/v1/users/me', { headers: { authorization }, cache: 'no-store' });
  if (!res.ok) throw new Error('GET /v1/users/me answered ' + res.status);
  return res.json();
}

function setPhase(phase, text) {
  document.body.dataset.phase = phase;
  progress.hidden = phase !== 'processing';
  status.textContent = text;
}

// A new avatar still processing is awaited (polling with backoff) and then shown by the editor.
async function waitWhileProcessing() {
  for (let delay = 250; ; delay = Math.min(delay * 2, 4000)) {
    const user = await currentUser();
    if (!user.avatar_processing) return;
    setPhase('processing', 'Your new avatar is being processed…');
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

async function start() {
  try {
    await waitWhileProcessing();
    if (document.body.dataset.phase === 'processing') setPhase('ready', 'Your new avatar is ready.');
  } catch {
    setPhase('ready', 'Your current avatar could not be loaded; you can still choose a new one.');
  }
  await customElements.whenDefined('avatar-editor');
  const editor = document.createElement('avatar-editor');
  editor.token = session.token;
  editor.addEventListener('avatar-changed', (event) => {
    tell('avatar-changed', event.detail);
    if (session.returnUrl) location.assign(session.returnUrl);
  });
  editor.addEventListener('avatar-removed', (event) => tell('avatar-removed', event.detail));
  document.getElementById('editor').append(editor);
  document.body.dataset.phase = 'editing';
}

start();
`;

const HEADINGS: Record<SessionType, string> = { 'edit-existing': 'Change your avatar', create: 'Choose your avatar' };

export function editorPageHtml(page: EditorPage): string {
  const config = { token: page.token, type: page.type, returnUrl: page.returnUrl, messageOrigins: page.messageOrigins };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${HEADINGS[page.type]}</title>
<style>${STYLE}</style>
<script type="application/json" id="avatar-session">${scriptJson(config)}</script>
<script type="module" src="/widget/avatar-editor.js" nonce="${page.nonce}"></script>
<script type="module" nonce="${page.nonce}">${SCRIPT}</script>
</head>
<body data-phase="loading">
<main>
<h1>${HEADINGS[page.type]}</h1>
<p id="status" role="status" aria-live="polite"></p>
<progress id="progress" hidden aria-label="Processing"></progress>
<div id="editor"></div>
<noscript>This editor needs JavaScript.</noscript>
</main>
</body>
</html>
`;
}

const ERRORS = {
  unknown: { status: 404, title: 'Editor link not found', text: 'This avatar editor link does not exist. Ask the site that sent you here for a new one.' },
  expired: { status: 410, title: 'Editor link expired', text: 'This avatar editor link has expired. Ask the site that sent you here for a new one.' },
} as const;

export function sessionErrorPage(state: keyof typeof ERRORS): { status: 404 | 410; html: string } {
  const { status, title, text } = ERRORS[state];
  return {
    status,
    html: `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${title}</title>
<style>${STYLE}</style></head>
<body><main><h1>${title}</h1><p>${text}</p></main></body>
</html>
`,
  };
}
