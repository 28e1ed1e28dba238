// The bundle sizes of what a site would load instead of our widget, measured in the run from the packages
// published on npm (installed with npm into a throwaway folder), made the way our bundle is: the JavaScript
// bundled and minified by esbuild (ESM, es2022) into one file, the packages' own minified CSS as one file,
// each gzipped at level 9; the figure is the sum of the two. Without the registry the sizes are not known
// and the benchmark says so instead of using figures from elsewhere.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export interface Competitor {
  name: string;
  /** What is in the set, for the output. */
  what: string;
  packages: string[];
  /** The set's JavaScript, as a site would import and use it. */
  entry: string;
  /** Published minified stylesheets, as `package/path`. */
  css: string[];
}

export const COMPETITORS: Competitor[] = [
  {
    name: 'Uppy',
    what: 'Uppy avatar set: core, dashboard, image-editor, compressor, xhr-upload + their CSS',
    packages: ['@uppy/core', '@uppy/dashboard', '@uppy/image-editor', '@uppy/compressor', '@uppy/xhr-upload'],
    entry: [
      `import Uppy from '@uppy/core';`,
      `import Dashboard from '@uppy/dashboard';`,
      `import ImageEditor from '@uppy/image-editor';`,
      `import Compressor from '@uppy/compressor';`,
      `import XHRUpload from '@uppy/xhr-upload';`,
      `new Uppy().use(Dashboard, { inline: true, target: document.body }).use(ImageEditor).use(Compressor).use(XHRUpload, { endpoint: '/upload' });`,
    ].join('\n'),
    css: ['@uppy/core/dist/style.min.css', '@uppy/dashboard/dist/style.min.css', '@uppy/image-editor/dist/style.min.css'],
  },
  {
    name: 'FilePond',
    what: 'FilePond + its free image plugins for this job: exif-orientation, preview, crop, resize, transform + its CSS',
    packages: [
      'filepond',
      'filepond-plugin-image-exif-orientation',
      'filepond-plugin-image-preview',
      'filepond-plugin-image-crop',
      'filepond-plugin-image-resize',
      'filepond-plugin-image-transform',
    ],
    entry: [
      `import * as FilePond from 'filepond';`,
      `import Exif from 'filepond-plugin-image-exif-orientation';`,
      `import Preview from 'filepond-plugin-image-preview';`,
      `import Crop from 'filepond-plugin-image-crop';`,
      `import Resize from 'filepond-plugin-image-resize';`,
      `import Transform from 'filepond-plugin-image-transform';`,
      `FilePond.registerPlugin(Exif, Preview, Crop, Resize, Transform);`,
      `FilePond.create(document.querySelector('input'), { imageCropAspectRatio: '1:1', imageResizeTargetWidth: 1600, imageTransformOutputMimeType: 'image/webp' });`,
    ].join('\n'),
    css: ['filepond/dist/filepond.min.css', 'filepond-plugin-image-preview/dist/filepond-plugin-image-preview.min.css'],
  },
];

export interface CompetitorSize {
  name: string;
  what: string;
  versions: Record<string, string>;
  js: { bytes: number; gzip: number };
  css: { bytes: number; gzip: number };
  /** js.gzip + css.gzip */
  gzip: number;
}

const gzip = (data: Uint8Array) => gzipSync(data, { level: 9 }).length;

/** Installs every competitor's packages (latest published) once, and measures each set; null with the reason if npm cannot. */
export async function measureCompetitors(): Promise<{ sizes: CompetitorSize[] } | { error: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'avatar-bench-competitors-'));
  try {
    const packages = COMPETITORS.flatMap((c) => c.packages);
    try {
      await promisify(execFile)('npm', ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', ...packages], {
        timeout: 180_000,
      });
    } catch (error) {
      return { error: `npm install of ${packages.join(' ')} failed: ${(error as Error).message.split('\n')[0]}` };
    }
    const sizes: CompetitorSize[] = [];
    for (const competitor of COMPETITORS) {
      const result = await build({
        stdin: { contents: competitor.entry, resolveDir: dir, loader: 'js', sourcefile: 'entry.js' },
        bundle: true,
        minify: true,
        format: 'esm',
        target: 'es2022',
        platform: 'browser',
        write: false,
        logLevel: 'silent',
        nodePaths: [join(dir, 'node_modules')],
      });
      const js = result.outputFiles[0]!.contents;
      const css = Buffer.concat(competitor.css.map((file) => readFileSync(join(dir, 'node_modules', file))));
      const versions = Object.fromEntries(
        competitor.packages.map((name) => [name, (JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version]),
      );
      const sized = { js: { bytes: js.length, gzip: gzip(js) }, css: { bytes: css.length, gzip: gzip(css) } };
      sizes.push({ name: competitor.name, what: competitor.what, versions, ...sized, gzip: sized.js.gzip + sized.css.gzip });
    }
    return { sizes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
