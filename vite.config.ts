// Vite builds the widget (`vite build`: one self-contained ES module, worker and styles inlined) and serves
// the demo over HTTPS (`vite`: demo/ as the root, the widget imported from source).
import basicSsl from '@vitejs/plugin-basic-ssl';
import { fileURLToPath } from 'node:url';
import { minifySync } from 'rolldown/utils';
import { defineConfig, type Plugin } from 'vite';
import { compactFaceModel, tfliteModelPath } from './media/default-crop/model-file.ts';

/**
 * Drops the indentation inside the widget's html`…` and css`…` templates (Lit ships template text as written).
 * Each run of whitespace with a line break becomes one line break: HTML and CSS read it the same, and the
 * line numbers stay as they were, so the source maps still point at the right lines. In CSS the spaces around
 * `:` `;` `,` `>` and before `{` go too, and the quotes of [name='word'] (our CSS has no strings or selectors
 * where that matters).
 */
function compactTemplates(): Plugin {
  const TAGS = new Set(['html', 'css', 'svg']);
  return {
    name: 'compact-lit-templates',
    enforce: 'pre',
    transform(code, id) {
      if (!/[\\/]widget[\\/].*\.ts$/.test(id) || !/\b(?:html|css|svg)`/.test(code)) return null;
      // A quasi's span is its text alone (ESTree), or also its delimiters (` } ${) as this parser gives it: then
      // nothing past the span is copied with it, or a nested template's closing ` would bring the } after it twice.
      const quasis: Array<{ start: number; end: number; css: boolean; delimited: boolean }> = [];
      const visit = (node: unknown): void => {
        if (!node || typeof node !== 'object') return;
        if (Array.isArray(node)) return node.forEach(visit);
        const n = node as { type?: string; tag?: { type: string; name?: string }; quasi?: { start: number; quasis: Array<{ start: number; end: number }> } };
        if (n.type === 'TaggedTemplateExpression' && n.tag?.type === 'Identifier' && TAGS.has(n.tag.name ?? '')) {
          const delimited = n.quasi!.quasis[0]!.start === n.quasi!.start;
          for (const q of n.quasi!.quasis) quasis.push({ start: q.start, end: q.end, css: n.tag.name === 'css', delimited });
        }
        for (const value of Object.values(node)) visit(value);
      };
      visit(this.parse(code, { lang: 'ts' }));
      let out = '';
      let at = 0;
      for (const { start, end, css, delimited } of quasis.sort((a, b) => a.start - b.start)) {
        let text = code.slice(start, end).replace(/[ \t]*\n\s*/g, (ws) => '\n'.repeat(ws.split('\n').length - 1));
        let lines = '';
        if (css) {
          text = text.replace(/([:;,]) +/g, '$1').replace(/ *> */g, '>').replace(/ +\{/g, '{').replace(/='([\w-]+)'\]/g, '=$1]').replace(/([\s:,(])0\.(\d)/g, '$1.$2');
          // Comments and the line breaks next to { } ; , go too; their line breaks move just past the quasi's
          // closing ` or ${, so the code after it keeps its line numbers.
          const before = text.split('\n').length;
          text = text.replace(/\/\*[^]*?\*\//g, (c) => '\n'.repeat(c.split('\n').length - 1)).replace(/\s*([{};,])\s*/g, '$1').replace(/;}/g, '}').replace(/ (!important|\/) ?/g, '$1');
          lines = '\n'.repeat(before - text.split('\n').length);
        }
        const close = delimited ? 0 : code.startsWith('${', end) ? 2 : 1;
        out += code.slice(at, start) + text + code.slice(end, end + close) + lines;
        at = end + close;
      }
      return { code: out + code.slice(at), map: null };
    },
  };
}

/**
 * Gives our own underscore members (Lit state, controller hooks) and cropperjs v2's $-members short names, in the
 * entry and in every lazily loaded chunk alike. Rolldown's own property mangling works on one chunk only; here one
 * cache of names is shared by all chunks, and no short name is one that any module uses as a real property.
 * Nothing outside the bundle reads these members, and nothing inside by a string (Lit's changed-property keys
 * included); Lit's own are _$…, matched by neither rule. The cropper members crop-area.ts calls keep their names,
 * so the widget still drives cropper elements a host page defined.
 */
function manglePrivateMembers(): Plugin {
  const include = /^_[A-Za-z]|^\$[a-z]/;
  const keep = ['$name', '$define', '$ready', '$change'];
  const realNames = new Set<string>();
  /** Strings in the code: a member named by one (Lit's `changed.has('_view')`) keeps its name, or the lookup misses. */
  const literals = new Set<string>();
  let cache: Record<string, string | false> = {};
  const collect = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(collect);
    const n = node as { type?: string; computed?: boolean; property?: { type: string; name?: string }; key?: { type: string; name?: string; value?: unknown } };
    if (n.type === 'MemberExpression' && !n.computed && n.property?.type === 'Identifier') realNames.add(n.property.name!);
    if (n.key && !n.computed) {
      const name = n.key.type === 'Identifier' ? n.key.name : typeof n.key.value === 'string' ? n.key.value : undefined;
      if (name) realNames.add(name);
    }
    if (n.type === 'Literal' && typeof (n as { value?: unknown }).value === 'string') literals.add((n as { value: string }).value);
    for (const value of Object.values(node)) collect(value);
  };
  return {
    name: 'mangle-private-members',
    enforce: 'post',
    transform(code) {
      collect(this.parse(code, { lang: 'js' }));
      return null;
    },
    renderChunk(code, chunk) {
      const reserved = [...keep, ...[...realNames].filter((name) => !include.test(name)), ...literals];
      const result = minifySync(chunk.fileName, code, {
        module: true,
        compress: false,
        mangle: false,
        codegen: { removeWhitespace: false },
        mangleProps: { include, reserved, cache },
        sourcemap: true,
      });
      if (result.errors.length) this.error(result.errors[0]!.message);
      cache = result.mangleCache ?? cache;
      return { code: result.code, map: result.map };
    },
  };
}

/**
 * The URLs the widget knows from its build (widget/virtual-modules.d.ts): the default-crop chunk's, which the page
 * hands to the image worker without loading the chunk itself, and the compact face model's, which that chunk
 * fetches (media/default-crop/model-file.ts makes it from the packaged .tflite, as the server does). Built, they are
 * an emitted chunk and an emitted asset, each under a content-hashed name, at URLs relative to the module that
 * imports them (import.meta.ROLLUP_FILE_URL_…). Served (`vite`, the demo): the source module, and the model from memory.
 */
function widgetBuildUrls(command: 'build' | 'serve'): Plugin {
  const CHUNK = 'virtual:default-crop-chunk-url';
  const MODEL = 'virtual:face-model-url';
  const SERVED_MODEL = '/@avatar-editor/face-model.bin';
  const chunkSource = fileURLToPath(new URL('./widget/default-crop/default-crop.ts', import.meta.url));
  // (Through a constant: Vite's dev server rewrites new URL('literal', import.meta.url) as an asset of its own.)
  const url = (path: string) => `const path = ${JSON.stringify(path)};\nexport default new URL(path, import.meta.url).href;\n`;
  return {
    name: 'widget-build-urls',
    resolveId: (id) => (id === CHUNK || id === MODEL ? `\0${id}` : null),
    load(id) {
      if (id === `\0${CHUNK}`) {
        if (command === 'serve') return url(`/@fs${chunkSource}`);
        return `export default import.meta.ROLLUP_FILE_URL_${this.emitFile({ type: 'chunk', id: chunkSource, name: 'default-crop' })};\n`;
      }
      if (id === `\0${MODEL}`) {
        this.addWatchFile(tfliteModelPath());
        if (command === 'serve') return url(SERVED_MODEL);
        return `export default import.meta.ROLLUP_FILE_URL_${this.emitFile({ type: 'asset', name: 'face-model.bin', source: compactFaceModel() })};\n`;
      }
      return null;
    },
    configureServer(server) {
      server.middlewares.use(SERVED_MODEL, (_request, response) => {
        response.setHeader('Content-Type', 'application/octet-stream');
        response.end(compactFaceModel());
      });
    },
  };
}

/**
 * Vite's inline worker (`?worker&inline`) makes its Blob of the worker's code when the bundle is evaluated: ~2 ms
 * of the main thread at load (8 ms at 4× CPU throttle) for a worker started later, when the page is idle. Here the
 * Blob is made when the first worker is.
 */
function lazyInlineWorker(): Plugin {
  const eager = 'const blob = typeof self !== "undefined" && self.Blob && new Blob(';
  const use = 'objURL = blob && ';
  return {
    name: 'lazy-inline-worker',
    transform(code, id) {
      if (!/[?&]worker&inline\b/.test(id)) return null;
      if (!code.includes(eager) || !code.includes(use)) this.error(`Vite's inline worker code has changed: lazyInlineWorker in vite.config.ts no longer applies (${id})`);
      return { code: code.replace(eager, 'let blob; const makeBlob = () => blob ??= typeof self !== "undefined" && self.Blob && new Blob(').replace(use, 'objURL = makeBlob() && '), map: null };
    },
  };
}

export default defineConfig(({ command }) => ({
  root: command === 'serve' ? 'demo' : '.',
  // Built URLs (widgetBuildUrls) relative to the module that holds them: pages of any origin load the bundle.
  base: command === 'serve' ? '/' : './',
  plugins: command === 'serve' ? [basicSsl(), widgetBuildUrls(command)] : [compactTemplates(), lazyInlineWorker(), manglePrivateMembers(), widgetBuildUrls(command)],
  server: {
    // Listen on every loopback name: the demo's "third-party" page is the same server on another host name.
    host: true,
    port: 5173,
    strictPort: false,
    // The project (not only demo/): the worker imports the default-crop chunk's source by its /@fs/ URL.
    fs: { allow: [fileURLToPath(new URL('.', import.meta.url))] },
  },
  worker: { format: 'es' },
  build: {
    outDir: 'dist/widget',
    emptyOutDir: true,
    target: 'es2022',
    // Map files for debugging, but no sourceMappingURL comments (the inlined worker's would point nowhere).
    sourcemap: 'hidden',
    minify: true,
    // The bundle must work when imported from any origin: chunks and the face model load relative to the bundle,
    // and nothing else is a file of its own.
    assetsInlineLimit: Number.MAX_SAFE_INTEGER,
    lib: {
      entry: 'widget/index.ts',
      formats: ['es'],
      // The default-crop chunk is an entry of its own (see widgetBuildUrls), named as the other chunks are.
      fileName: (_format, entryName) => (entryName === 'default-crop' ? 'chunks/[name]-[hash].js' : 'avatar-editor.js'),
    },
    // Lib mode keeps whitespace in ES output; this file is served to browsers as is, so minify it fully.
    rolldownOptions: {
      // Lets the bundler merge what a lazy chunk shares with the entry into the entry (one request at load) by
      // exporting it from there.
      preserveEntrySignatures: 'allow-extension',
      output: {
        // What the widget loads only when used (a dynamic import()) is a chunk of its own next to the bundle, under a
        // content-hashed name: the server serves /widget/chunks/* immutable, with CORS * as the bundle itself.
        chunkFileNames: 'chunks/[name]-[hash].js',
        // The face model (widgetBuildUrls), served as /widget/assets/* immutable, with CORS *, as the chunks are.
        assetFileNames: 'assets/[name]-[hash][extname]',
        minify: { compress: true, mangle: true, codegen: true },
        // Nothing downstream needs the bundler's annotations; licences are kept in node_modules, as before.
        comments: false,
        // The entry runs nearly all of its functions while the editor is defined and first rendered: this hint has
        // Chromium (136+) compile them while the file streams in, on a background thread, instead of one by one on
        // the main thread as they are first called (a quarter of the load at 4× CPU throttle). Others ignore it.
        postBanner: (chunk) => (chunk.fileName === 'avatar-editor.js' ? '//# allFunctionsCalledOnLoad' : ''),
      },
      // @cropper/* modules only declare classes (crop-area.ts defines the elements it uses), but their packages
      // do not say so: without this, @cropper/elements drags in every element, used or not.
      treeshake: { moduleSideEffects: (id: string) => !/[\\/]node_modules[\\/]@cropper[\\/]/.test(id) },
    },
  },
}));
