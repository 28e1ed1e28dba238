// Widget tests in Chrome or Chromium (found by test/helpers/chromium.mjs) with @web/test-runner + @web/test-runner-chrome.
// - TypeScript is served through esbuild with widget/tsconfig.json.
// - react, react-dom and react-dom/client (CommonJS) are served as ES modules (test/helpers/react-esm.mjs).
// - `import url from 'virtual:…-url'` (widget/virtual-modules.d.ts) is served as a module exporting that URL here: the
//   default-crop chunk's source module, and the compact face model (made by the same conversion the build runs).
// - `import X from './worker.ts?worker&inline'` (Vite's inlined worker) is served as a module whose default
//   export starts a module worker on the same worker.ts, so tests load the very client.ts the bundle uses.
// - A real avatar-server (server/cli.ts --dev, port 0, throwaway data dir) runs for the whole test run;
//   tests read its URL and admin key from GET /__avatar-server.json.
// - /__flaky/<n>/<key>/<path> answers 503 to the first n requests under that key, then proxies <path> to the
//   server (`<n>x429` answers 429 with Retry-After: 1 instead). A fresh key per test gives a fresh count.
// - Chromium has a fake camera (a moving test pattern; test/e2e runs one with no camera at all). Its permission
//   works as for a person: a test grants or refuses it with Browser.setPermission (a prompt is dismissed here).
// - The `cdp` command sends one DevTools Protocol call for the page: real mouse, wheel and touch input
//   (Input.*), touch-screen emulation, the camera permission (Browser.setPermission, whose `origin` is filled
//   in as the page's).
// - The `screenshot` command returns a PNG of a page region (base64) to compare pixels with, and writes it to
//   $AVATAR_SCREENSHOTS/<name>.png when that is set, for people to look at (with `pixels: false` it is taken
//   only then).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { tsImport } from 'tsx/esm/api';
import { chromeLauncher } from '@web/test-runner-chrome';
import { CHROMIUM_ARGS, chromiumPath } from './test/helpers/chromium.mjs';
import { reactEsmPlugin } from './test/helpers/react-esm.mjs';

const root = dirname(fileURLToPath(import.meta.url));

/** Resolves Vite's `?worker` / `?worker&inline` imports to a small module that starts a module worker. */
function viteWorkerImportPlugin() {
  const WORKER_QUERY = /\?(?:worker&inline|inline&worker|worker)$/;
  const MARKER = 'wtr-vite-worker';
  return {
    name: 'vite-worker-import',
    resolveImport({ source }) {
      if (WORKER_QUERY.test(source) && source.startsWith('.')) return `${source.replace(WORKER_QUERY, '')}?${MARKER}`;
    },
    serve(context) {
      if (!context.URL.searchParams.has(MARKER)) return;
      const file = `./${posix.basename(context.path)}`;
      return {
        type: 'js',
        body: [
          `// Served by web-test-runner.config.mjs in place of Vite's inlined worker.`,
          `export default function WorkerWrapper(options) {`,
          `  return new Worker(new URL(${JSON.stringify(file)}, import.meta.url), { type: 'module', name: options?.name });`,
          `}`,
          ``,
        ].join('\n'),
      };
    },
  };
}

/** Where the tests' pages fetch the face model from (see faceModelMiddleware). */
const FACE_MODEL_PATH = '/__face-model.bin';

/**
 * The modules the build makes (widget/virtual-modules.d.ts, vite.config.ts widgetBuildUrls), served as modules
 * exporting a URL here: the default-crop chunk's is its source module's; the face model's is FACE_MODEL_PATH,
 * which faceModelMiddleware answers.
 */
function viteBuildUrlsPlugin() {
  const URLS = { 'virtual:default-crop-chunk-url': '/widget/default-crop/default-crop.ts', 'virtual:face-model-url': FACE_MODEL_PATH };
  const PREFIX = '/__build-url/';
  return {
    name: 'vite-build-urls',
    resolveImport({ source }) {
      if (source in URLS) return `${PREFIX}${source.slice('virtual:'.length)}.js`;
    },
    serve(context) {
      if (!context.path.startsWith(PREFIX)) return;
      const url = URLS[`virtual:${context.path.slice(PREFIX.length, -'.js'.length)}`];
      if (url) return { type: 'js', body: `export default new URL(${JSON.stringify(url)}, import.meta.url).href;\n` };
    },
  };
}

/**
 * Koa middleware answering FACE_MODEL_PATH with the compact face model, made from the packaged .tflite by the one
 * conversion the build and the server run (media/default-crop/model-file.ts, TypeScript, loaded through tsx).
 */
function faceModelMiddleware() {
  let model = null;
  return async (ctx, next) => {
    if (ctx.path !== FACE_MODEL_PATH) return next();
    model ??= tsImport('./media/default-crop/model-file.ts', import.meta.url).then((file) => Buffer.from(file.compactFaceModel()));
    ctx.set('content-type', 'application/octet-stream');
    ctx.body = await model;
  };
}

/** Starts the real avatar-server on serverStart, stops it on serverStop, serves its URL and admin key. */
function avatarServerPlugin(state) {
  let child = null;
  let dataDir = null;
  const killOnExit = () => child?.kill('SIGKILL');
  return {
    name: 'avatar-server',
    async serverStart({ logger }) {
      dataDir = await mkdtemp(join(tmpdir(), 'avatar-wtr-'));
      const adminKey = randomBytes(24).toString('hex');
      const output = [];
      child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', '--dev', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          AVATAR_ADMIN_KEY: adminKey,
          AVATAR_JWT_SECRET: randomBytes(32).toString('hex'),
          AVATAR_LOG_LEVEL: process.env.AVATAR_TEST_VERBOSE ? 'debug' : 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      process.once('exit', killOnExit);
      const url = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => fail(new Error('did not print "listening on" within 30 s')), 30_000);
        const fail = (error) => {
          clearTimeout(timer);
          reject(new Error(`avatar-server: ${error.message}\n${output.join('\n')}`));
        };
        const onData = (chunk) => {
          for (const line of chunk.toString('utf8').split('\n')) {
            if (!line) continue;
            output.push(line);
            if (output.length > 200) output.shift(); // kept to explain a failed start
            if (process.env.AVATAR_TEST_VERBOSE) process.stderr.write(`[avatar-server] ${line}\n`);
            const match = /listening on (http:\/\/[^\s"]+)/.exec(line);
            if (match) {
              clearTimeout(timer);
              resolve(match[1]);
            }
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('error', fail);
        child.once('exit', (code, signal) => fail(new Error(`exited early (${signal ?? code})`)));
      });
      state.url = url;
      state.adminKey = adminKey;
      logger.log(`avatar-server for the widget tests: ${url}`);
    },
    async serverStop() {
      const proc = child;
      child = null;
      process.off('exit', killOnExit);
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
    serve(context) {
      if (context.path === '/__avatar-server.json') {
        return { type: 'json', body: JSON.stringify({ url: state.url, adminKey: state.adminKey }), headers: { 'cache-control': 'no-store' } };
      }
    },
  };
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-encoding', 'content-length', 'upgrade', 'host']);

/** Koa middleware for /__flaky/<n>[x<status>]/<key>/<path>. */
function flakyProxyMiddleware(state) {
  const counts = new Map();
  return async (ctx, next) => {
    const match = /^\/__flaky\/(\d+)(?:x(\d{3}))?\/([^/]+)(\/.*)?$/.exec(ctx.path);
    if (!match) return next();
    const [, failures, status = '503', key, rest = '/'] = match;
    const counter = `${failures}x${status}/${key}`;
    const seen = counts.get(counter) ?? 0;
    counts.set(counter, seen + 1);
    ctx.set('cache-control', 'no-store');
    if (seen < Number(failures)) {
      ctx.status = Number(status);
      if (status === '429') ctx.set('retry-after', '1');
      ctx.body = { error: { code: status === '429' ? 'RATE_LIMITED' : 'SERVICE_UNAVAILABLE', message: `flaky proxy: failure ${seen + 1} of ${failures}` } };
      return;
    }
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    const headers = {};
    for (const [name, value] of Object.entries(ctx.request.headers)) {
      if (!HOP_BY_HOP.has(name) && name !== 'origin' && name !== 'referer' && value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const response = await fetch(`${state.url}${rest}${ctx.search}`, {
      method: ctx.method,
      headers,
      body: ['GET', 'HEAD'].includes(ctx.method) ? undefined : Buffer.concat(chunks),
      redirect: 'manual',
    });
    ctx.status = response.status;
    response.headers.forEach((value, name) => {
      if (!HOP_BY_HOP.has(name)) ctx.set(name, value);
    });
    ctx.body = Buffer.from(await response.arrayBuffer());
  };
}

/** Commands that need the browser itself rather than the page: see the header. */
function browserCommandsPlugin() {
  // One DevTools session per page, kept: emulation set through a session ends when it detaches.
  const sessions = new WeakMap();
  return {
    name: 'browser-commands',
    async executeCommand({ command, payload, session }) {
      if (command !== 'cdp' && command !== 'screenshot') return undefined;
      const page = session.browser.getPage(session.id);
      if (command === 'cdp') {
        if (!sessions.has(page)) sessions.set(page, page.createCDPSession());
        const cdp = await sessions.get(page);
        const params = payload.method === 'Browser.setPermission' ? { ...payload.params, origin: new URL(page.url()).origin } : payload.params;
        return (await cdp.send(payload.method, params)) ?? true;
      }
      const folder = process.env.AVATAR_SCREENSHOTS;
      if (payload.pixels === false && !folder) return true; // (null would read as "not handled")
      // Within the viewport as it is: capturing beyond it resizes the page for a moment, and the widget with it.
      const png = await page.screenshot({ clip: payload.clip, encoding: 'base64', captureBeyondViewport: false });
      if (folder && payload.name) {
        await mkdir(folder, { recursive: true });
        await writeFile(join(folder, `${payload.name}.png`), Buffer.from(png, 'base64'));
      }
      return png;
    },
  };
}

const server = { url: '', adminKey: '' };

export default {
  rootDir: root,
  files: 'test/widget/**/*.test.ts',
  nodeResolve: true,
  concurrentBrowsers: 1,
  concurrency: 1,
  browserStartTimeout: 60_000,
  testsStartTimeout: 60_000,
  // Per test file. The slowest files decode and encode 12 MP images a few times; keep room for a slow CI.
  testsFinishTimeout: 180_000,
  testFramework: { config: { timeout: 20_000 } },
  browsers: [chromeLauncher({ launchOptions: { executablePath: chromiumPath(), args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream'] } })],
  middleware: [flakyProxyMiddleware(server), faceModelMiddleware()],
  plugins: [
    viteWorkerImportPlugin(),
    reactEsmPlugin(),
    viteBuildUrlsPlugin(),
    avatarServerPlugin(server),
    browserCommandsPlugin(),
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: join(root, 'widget/tsconfig.json') }),
  ],
};
