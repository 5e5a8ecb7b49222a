/**
 * What the page inlines: uPlot (script and stylesheet) from its package, and the page's own scripts
 * and stylesheet from `assets/report/`. Read once per process, at the first render.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { jsAscii } from './escape.js';

/** The page's scripts, in the order they run: helpers first, `main.js` last. */
const SCRIPTS = ['marks.js', 'overlay.js', 'charts.js', 'main.js'];

export interface PageAssets {
  /** uPlot's version, for the page footer. */
  uplotVersion: string;
  styles: string[];
  scripts: string[];
}

let cached: PageAssets | undefined;

export function pageAssets(): PageAssets {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  // The same path from src/report/html (tests) and dist/report/html (the built CLI).
  const own = (name: string) =>
    readFileSync(fileURLToPath(new URL(`../../../assets/report/${name}`, import.meta.url)), 'utf8');
  const uplot = (name: string) => readFileSync(require.resolve(`uplot/dist/${name}`), 'utf8');
  const assets: PageAssets = {
    uplotVersion: (require('uplot/package.json') as { version: string }).version,
    styles: [uplot('uPlot.min.css'), own('report.css')],
    scripts: [uplot('uPlot.iife.min.js'), ...SCRIPTS.map(own)].map(jsAscii),
  };
  // Inlined as they are: a closing tag inside would end the element early; a stylesheet has no escape
  // that keeps the page ASCII in every place, so it must be ASCII already.
  for (const text of [...assets.styles, ...assets.scripts]) {
    if (/<\/(script|style)/i.test(text)) throw new Error('a page asset contains a closing script or style tag');
  }
  if (assets.styles.some((css) => /[\u0080-\uffff]/.test(css))) throw new Error('a page stylesheet is not ASCII');
  cached = assets;
  return assets;
}
