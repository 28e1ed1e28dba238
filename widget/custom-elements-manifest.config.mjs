// custom-elements.json for the widget (`npm run build`). Lit's internal reactive state is not public API.
const isInternal = (name) => name.startsWith('_');

export default {
  globs: ['widget/avatar-editor.ts', 'widget/avatar-image.ts', 'widget/emote-text.ts', 'widget/index.ts'],
  outdir: 'dist/widget',
  litelement: true,
  plugins: [
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
