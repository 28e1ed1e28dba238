// The hosted editor page (GET /editor/{session_id}) and its error pages, with their headers. The page runs the
// widget from this server for one user; its one inline script (allowed by a per-response nonce) waits for an avatar
// still processing, then mounts <avatar-editor> and tells the opener or parent window about a save. It speaks the
// session's locale, else the first of the browser's languages (Accept-Language) that the editor speaks.
import { EDITOR_LANGUAGES } from './schemas.ts';

export type SessionType = 'edit-existing' | 'create';
type Language = (typeof EDITOR_LANGUAGES)[number];

export interface EditorPage {
  nonce: string;
  token: string;
  type: SessionType;
  returnUrl: string | null;
  /** Origins messages are posted to; null when every origin is allowed ('*', dev mode): then only the embedder's. */
  messageOrigins: string[] | null;
  /** The page's language tag (e.g. de-AT): its <html lang> and the editor's `lang`. */
  locale: string;
}

const TEXTS: Record<Language, Record<SessionType | 'processing' | 'ready' | 'loadFailed' | 'progress' | 'noscript', string>> = {
  en: {
    'edit-existing': 'Change your avatar',
    create: 'Choose your avatar',
    processing: 'Your new avatar is being processed…',
    ready: 'Your new avatar is ready.',
    loadFailed: 'Your current avatar could not be loaded; you can still choose a new one.',
    progress: 'Processing',
    noscript: 'This editor needs JavaScript.',
  },
  de: {
    'edit-existing': 'Profilbild ändern',
    create: 'Profilbild auswählen',
    processing: 'Dein neues Profilbild wird verarbeitet…',
    ready: 'Dein neues Profilbild ist fertig.',
    loadFailed: 'Dein aktuelles Profilbild konnte nicht geladen werden; du kannst trotzdem ein neues auswählen.',
    progress: 'Wird verarbeitet',
    noscript: 'Dieser Editor braucht JavaScript.',
  },
  fr: {
    'edit-existing': 'Changer votre avatar',
    create: 'Choisir votre avatar',
    processing: 'Votre nouvel avatar est en cours de traitement…',
    ready: 'Votre nouvel avatar est prêt.',
    loadFailed: 'Votre avatar actuel n’a pas pu être chargé ; vous pouvez tout de même en choisir un nouveau.',
    progress: 'Traitement',
    noscript: 'Cet éditeur nécessite JavaScript.',
  },
  es: {
    'edit-existing': 'Cambia tu avatar',
    create: 'Elige tu avatar',
    processing: 'Tu nuevo avatar se está procesando…',
    ready: 'Tu nuevo avatar está listo.',
    loadFailed: 'No se pudo cargar tu avatar actual; aun así puedes elegir uno nuevo.',
    progress: 'Procesando',
    noscript: 'Este editor necesita JavaScript.',
  },
};

const ERROR_TEXTS: Record<Language, Record<'unknown' | 'expired', { title: string; text: string }>> = {
  en: {
    unknown: { title: 'Editor link not found', text: 'This avatar editor link does not exist. Ask the site that sent you here for a new one.' },
    expired: { title: 'Editor link expired', text: 'This avatar editor link has expired. Ask the site that sent you here for a new one.' },
  },
  de: {
    unknown: { title: 'Editor-Link nicht gefunden', text: 'Diesen Link zum Profilbild-Editor gibt es nicht. Bitte die Website, die dich hierher geschickt hat, um einen neuen.' },
    expired: { title: 'Editor-Link abgelaufen', text: 'Dieser Link zum Profilbild-Editor ist abgelaufen. Bitte die Website, die dich hierher geschickt hat, um einen neuen.' },
  },
  fr: {
    unknown: { title: 'Lien d’éditeur introuvable', text: 'Ce lien vers l’éditeur d’avatar n’existe pas. Demandez-en un nouveau au site qui vous a envoyé ici.' },
    expired: { title: 'Lien d’éditeur expiré', text: 'Ce lien vers l’éditeur d’avatar a expiré. Demandez-en un nouveau au site qui vous a envoyé ici.' },
  },
  es: {
    unknown: { title: 'Enlace del editor no encontrado', text: 'Este enlace al editor de avatares no existe. Pide uno nuevo al sitio que te envió aquí.' },
    expired: { title: 'Enlace del editor caducado', text: 'Este enlace al editor de avatares ha caducado. Pide uno nuevo al sitio que te envió aquí.' },
  },
};

const languageOf = (tag: string): Language => {
  const primary = tag.split('-')[0]!.toLowerCase();
  return (EDITOR_LANGUAGES as readonly string[]).includes(primary) ? (primary as Language) : 'en';
};

/**
 * The page's language: the session's locale, else the first of the browser's languages (Accept-Language, by
 * q-value) that the editor speaks, kept as the browser wrote it (de-AT stays de-AT), else English.
 */
export function pageLocale(sessionLocale: string | null, acceptLanguage: string | undefined): string {
  if (sessionLocale) return sessionLocale;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter(({ tag, q }) => /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(tag) && q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked.find(({ tag }) => (EDITOR_LANGUAGES as readonly string[]).includes(tag.split('-')[0]!.toLowerCase()))?.tag ?? 'en';
}

/** Where the page may be framed: the allowed origins only ('*' only when every origin is allowed). */
function frameAncestors(allowedOrigins: readonly string[]): string {
  if (allowedOrigins.includes('*')) return '*';
  return allowedOrigins.length > 0 ? allowedOrigins.join(' ') : "'none'";
}

/**
 * Headers of every editor page, the error pages included. `ownOrigin` is the origin of the URLs the API hands out;
 * `storageOrigins` those the browser loads avatars from and uploads to directly (the bucket, the CDN: S3 storage).
 */
export function pageHeaders(allowedOrigins: readonly string[], ownOrigin: string, nonce: string | null, storageOrigins: readonly string[] = []): Record<string, string> {
  const self = `'self' ${ownOrigin}`;
  const storage = storageOrigins.map((origin) => ` ${origin}`).join('');
  const csp = nonce
    ? [
        "default-src 'none'",
        `script-src ${self} 'nonce-${nonce}'`,
        // Lit and cropper set style attributes; styles cannot run code.
        `style-src ${self} 'unsafe-inline'`,
        `img-src ${self}${storage} blob: data:`,
        `connect-src ${self}${storage} blob:`,
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
    Vary: 'Accept-Language',
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
    setPhase('processing', session.texts.processing);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

async function start() {
  try {
    await waitWhileProcessing();
    if (document.body.dataset.phase === 'processing') setPhase('ready', session.texts.ready);
  } catch {
    setPhase('ready', session.texts.loadFailed);
  }
  await customElements.whenDefined('avatar-editor');
  const editor = document.createElement('avatar-editor');
  editor.lang = session.locale;
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

/** An attribute value (a language tag is letters, digits and hyphens; escaped all the same). */
const attribute = (value: string) => value.replace(/[&"<>]/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function editorPageHtml(page: EditorPage): string {
  const t = TEXTS[languageOf(page.locale)];
  const { processing, ready, loadFailed } = t;
  const config = { token: page.token, type: page.type, returnUrl: page.returnUrl, messageOrigins: page.messageOrigins, locale: page.locale, texts: { processing, ready, loadFailed } };
  return `<!doctype html>
<html lang="${attribute(page.locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${t[page.type]}</title>
<style>${STYLE}</style>
<script type="application/json" id="avatar-session">${scriptJson(config)}</script>
<script type="module" src="/widget/avatar-editor.js" nonce="${page.nonce}"></script>
<script type="module" nonce="${page.nonce}">${SCRIPT}</script>
</head>
<body data-phase="loading">
<main>
<h1>${t[page.type]}</h1>
<p id="status" role="status" aria-live="polite"></p>
<progress id="progress" hidden aria-label="${t.progress}"></progress>
<div id="editor"></div>
<noscript>${t.noscript}</noscript>
</main>
</body>
</html>
`;
}

const ERROR_STATUS = { unknown: 404, expired: 410 } as const;

/** The page for an unknown or expired session, in `locale` (the browser's languages: there is no session to ask). */
export function sessionErrorPage(state: keyof typeof ERROR_STATUS, locale: string): { status: 404 | 410; html: string } {
  const { title, text } = ERROR_TEXTS[languageOf(locale)][state];
  return {
    status: ERROR_STATUS[state],
    html: `<!doctype html>
<html lang="${attribute(locale)}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${title}</title>
<style>${STYLE}</style></head>
<body><main><h1>${title}</h1><p>${text}</p></main></body>
</html>
`,
  };
}
