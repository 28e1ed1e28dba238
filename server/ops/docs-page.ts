// GET /docs: an interactive reference of /openapi.json, Swagger UI (swagger-ui-dist from npm) with every file served
// by this server under /docs/assets/, named by its content's hash so browsers cache it for good. The page's
// Content-Security-Policy allows this origin only and no inline script or style: Swagger UI runs under it as it is.
// (Scalar's standalone bundle, twice the size, needs 'unsafe-eval', inline styles and calls to scalar.com.)
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { hashOf, prepareStaticFile, type StaticFile } from '../http/static-files.ts';
import { DOCS_SCRIPT, DOCS_STYLES } from './docs-client.ts';

/** The page's policy: this origin only (blob: for images a tried request returns), no inline code, no framing. */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const DOCS_ASSETS_PATH = '/docs/assets';

interface AssetSource {
  /** The served name before its hash: `swagger-ui.css` is served as `swagger-ui.<hash>.css`. */
  name: string;
  contentType: string;
  bytes: () => Promise<Buffer>;
}

const require = createRequire(import.meta.url);
const swaggerUiFile = (file: string) => readFile(require.resolve(`swagger-ui-dist/${file}`));

const SOURCES = {
  bundle: { name: 'swagger-ui-bundle.js', contentType: 'text/javascript; charset=utf-8', bytes: () => swaggerUiFile('swagger-ui-bundle.js') },
  // Its source map is not served, so the comment pointing to it goes.
  styles: {
    name: 'swagger-ui.css',
    contentType: 'text/css; charset=utf-8',
    bytes: async () => Buffer.from((await swaggerUiFile('swagger-ui.css')).toString('utf8').replace(/\/\*# sourceMappingURL=[^*]*\*\/\s*$/, '')),
  },
  ownStyles: { name: 'docs.css', contentType: 'text/css; charset=utf-8', bytes: async () => Buffer.from(DOCS_STYLES) },
  script: { name: 'docs.js', contentType: 'text/javascript; charset=utf-8', bytes: async () => Buffer.from(DOCS_SCRIPT) },
  icon: { name: 'favicon.png', contentType: 'image/png', bytes: () => swaggerUiFile('favicon-32x32.png') },
} satisfies Record<string, AssetSource>;

export interface DocsAsset {
  contentType: string;
  /** Compressed in the background from the moment the page is made, so it is ready when the page asks for it. */
  file: Promise<StaticFile>;
}

export interface DocsPage {
  html: string;
  etag: string;
  /** By hashed name. */
  assets: Map<string, DocsAsset>;
}

/**
 * Brotli's quality for the assets: 5 makes the 1.8 MB bundle 415 kB in 0.7 s of a pool thread; 11 would save 47 kB
 * more for 15 s of CPU, once per process.
 */
const BROTLI_QUALITY = 5;

const escape = (text: string) => text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

/** Reads Swagger UI's files, names them by hash and renders the page that loads them. */
export async function makeDocsPage(options: { title: string; dev: boolean }): Promise<DocsPage> {
  const assets = new Map<string, DocsAsset>();
  const urls = {} as Record<keyof typeof SOURCES, string>;
  for (const [key, source] of Object.entries(SOURCES) as Array<[keyof typeof SOURCES, AssetSource]>) {
    const bytes = await source.bytes();
    const hashed = source.name.replace(/\.(\w+)$/, `.${hashOf(bytes).slice(0, 16)}.$1`);
    const file = prepareStaticFile(bytes, BROTLI_QUALITY);
    file.catch(() => {}); // a failure is answered to whoever asks for the file, not left unhandled before then
    assets.set(hashed, { contentType: source.contentType, file });
    urls[key] = `${DOCS_ASSETS_PATH}/${hashed}`;
  }
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(options.title)}</title>
<link rel="icon" href="${urls.icon}">
<link rel="stylesheet" href="${urls.styles}">
<link rel="stylesheet" href="${urls.ownStyles}">
</head>
<body>
<div id="docs" data-openapi="/openapi.json" data-dev="${options.dev}" data-dev-token="/v1/dev/token"></div>
<noscript><p>This reference needs JavaScript. The API's description is at <a href="/openapi.json">/openapi.json</a>.</p></noscript>
<script src="${urls.bundle}"></script>
<script src="${urls.script}"></script>
</body>
</html>
`;
  return { html, etag: `"${hashOf(html)}"`, assets };
}
