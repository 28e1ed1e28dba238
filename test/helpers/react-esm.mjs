// React ships CommonJS only; the browser tests import it as ES modules, as a host app's bundler would. One esbuild
// bundle holds react, react-dom and react-dom/client (so all share one React), and each of those specifiers is
// served as a small module re-exporting its names from that bundle. Used by web-test-runner.config.mjs.
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const SPECIFIERS = ['react', 'react-dom', 'react-dom/client'];
const PREFIX = '/__react-esm/';
const BUNDLE = `${PREFIX}bundle.js`;

/** The bundle: `m0`, `m1`, … are the modules of SPECIFIERS, in order. */
async function buildBundle() {
  const result = await build({
    stdin: { contents: SPECIFIERS.map((specifier, i) => `export * as m${i} from '${specifier}';`).join('\n'), resolveDir: root },
    bundle: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    define: { 'process.env.NODE_ENV': '"development"' },
  });
  return result.outputFiles[0].text;
}

/**
 * The names each CommonJS module exports, as Node sees them: asked of a child process, since loading React's
 * development build here would write to the test runner's own console.
 */
function exportedNames() {
  const script = `console.log(JSON.stringify(${JSON.stringify(SPECIFIERS)}.map((s) => Object.keys(require(s)))))`;
  const output = execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'development' } });
  return JSON.parse(output).map((names) => names.filter((name) => /^[A-Za-z_$][\w$]*$/.test(name)));
}

/** `export default m0; export const { Children, … } = m0;` for SPECIFIERS[i]. */
function reexport(i, names) {
  return `import { m${i} } from '${BUNDLE}';\nexport default m${i};\nexport const { ${names.join(', ')} } = m${i};\n`;
}

export function reactEsmPlugin() {
  let bundle = null;
  let names = null;
  return {
    name: 'react-esm',
    resolveImport({ source }) {
      if (SPECIFIERS.includes(source)) return `${PREFIX}${source}.js`;
    },
    async serve(context) {
      if (context.path === BUNDLE) return { type: 'js', body: await (bundle ??= buildBundle()) };
      const specifier = context.path.startsWith(PREFIX) ? context.path.slice(PREFIX.length, -'.js'.length) : null;
      const i = SPECIFIERS.indexOf(specifier);
      if (i >= 0) return { type: 'js', body: reexport(i, (names ??= exportedNames())[i]) };
    },
  };
}
