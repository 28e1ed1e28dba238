// What `import 'avatar-editor'`, 'avatar-editor/react' and 'avatar-editor/vue' resolve to exists after `npm run build`
// (npm test builds first): a moved output folder would otherwise break every user's import while our own tests,
// which import the sources, stay green.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, string | Record<string, string>>; customElements: string; bin: Record<string, string> };

describe('package.json points at built files', () => {
  test('every export (types and code), the custom elements manifest and the bin exist', () => {
    const paths = [pkg.customElements, ...Object.values(pkg.bin)];
    for (const target of Object.values(pkg.exports)) paths.push(...(typeof target === 'string' ? [target] : Object.values(target)));
    assert.ok(paths.length >= 7, `only ${paths.length} paths found`);
    const missing = paths.filter((path) => !existsSync(join(root, path)));
    assert.deepEqual(missing, [], 'run `npm run build` first; otherwise these paths in package.json point nowhere');
  });

  test("the manifest's attribute defaults are values an integrator can read, not our constants' names", () => {
    const manifest = JSON.parse(readFileSync(join(root, pkg.customElements), 'utf8')) as { modules: Array<{ declarations?: Array<{ tagName?: string; attributes?: Array<{ name: string; default?: string }> }> }> };
    const attributes = manifest.modules.flatMap((m) => m.declarations ?? []).flatMap((d) => (d.tagName ? (d.attributes ?? []).map((a) => ({ tag: d.tagName, ...a })) : []));
    assert.ok(attributes.some((a) => a.tag === 'avatar-editor' && a.name === 'output-size' && a.default === '1600'), 'output-size defaults to 1600');
    const named = attributes.filter((a) => a.default !== undefined && /^[A-Z][A-Z0-9_]+$/.test(a.default));
    assert.deepEqual(named, []);
  });
});
