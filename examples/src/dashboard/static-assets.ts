/**
 * The page's files: everything in `public/` next to this module, plus
 * Chart.js's browser build from the installed `chart.js` package, read once
 * at start. The page needs nothing from the network.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One servable file. */
export interface StaticAsset {
  readonly contentType: string;
  readonly body: Buffer;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** URL path of Chart.js's UMD build (it defines the global `Chart`). */
export const CHART_JS_PATH = '/vendor/chart.umd.min.js';

/**
 * Folder of the page's own files: next to this module in `src/`; a `tsc`
 * build copies no assets, so from `dist/` it is the one in `src/`.
 */
export const PUBLIC_DIR =
  [new URL('./public/', import.meta.url), new URL('../../src/dashboard/public/', import.meta.url)]
    .map((url) => fileURLToPath(url))
    .find((dir) => existsSync(dir)) ?? fileURLToPath(new URL('./public/', import.meta.url));

/** `chart.js`'s package exports only its module builds; the UMD file sits next to them. */
function chartJsFile(): string {
  const main = createRequire(import.meta.url).resolve('chart.js');
  return join(dirname(main), 'chart.umd.min.js');
}

/**
 * Loads the assets, keyed by URL path (`/` is `index.html`). A missing file
 * fails here, at start, rather than as a broken page.
 */
export async function loadStaticAssets(): Promise<ReadonlyMap<string, StaticAsset>> {
  const assets = new Map<string, StaticAsset>();
  for (const name of await readdir(PUBLIC_DIR)) {
    const contentType = TYPES[extname(name)];
    if (contentType === undefined) continue;
    assets.set(`/${name}`, { contentType, body: await readFile(join(PUBLIC_DIR, name)) });
  }
  const index = assets.get('/index.html');
  if (index === undefined)
    throw new Error(`The dashboard page is missing: ${PUBLIC_DIR}index.html`);
  assets.set('/', index);
  assets.set(CHART_JS_PATH, {
    contentType: TYPES['.js']!,
    body: await readFile(chartJsFile()),
  });
  return assets;
}
