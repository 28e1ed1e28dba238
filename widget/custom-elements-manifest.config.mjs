// custom-elements.json for the widget (`npm run build`). Lit's internal reactive state is not public API.
const isInternal = (name) => name.startsWith('_');

/**
 * The value a field's `@default` tag gives, by field name. The analyzer takes a default from the constructor first,
 * where it is a constant's name (UPLOAD_SIDE) that tells an integrator nothing; the tag is written for them.
 */
const taggedDefaults = new Map();

export default {
  globs: ['widget/avatar-editor.ts', 'widget/avatar-image.ts', 'widget/emote-text.ts', 'widget/index.ts'],
  outdir: 'dist/widget',
  litelement: true,
  plugins: [
    {
      name: 'defaults-from-tags',
      analyzePhase({ ts, node }) {
        if (!ts.isPropertyDeclaration(node)) return;
        const tag = ts.getJSDocTags(node).find((t) => t.tagName.getText() === 'default');
        if (tag && typeof tag.comment === 'string') taggedDefaults.set(node.name.getText(), tag.comment.trim());
      },
      packageLinkPhase({ customElementsManifest }) {
        for (const mod of customElementsManifest.modules) {
          for (const declaration of mod.declarations ?? []) {
            for (const entry of [...(declaration.attributes ?? []), ...(declaration.members ?? [])]) {
              const name = entry.fieldName ?? entry.name;
              if (taggedDefaults.has(name)) entry.default = taggedDefaults.get(name);
            }
          }
        }
      },
    },
    {
      name: 'drop-internal-state',
      packageLinkPhase({ customElementsManifest }) {
        for (const mod of customElementsManifest.modules) {
          for (const declaration of mod.declarations ?? []) {
            declaration.attributes = declaration.attributes?.filter((a) => !isInternal(a.name));
            declaration.members = declaration.members?.filter((m) => !isInternal(m.name) && m.privacy !== 'private');
          }
        }
      },
    },
  ],
};
