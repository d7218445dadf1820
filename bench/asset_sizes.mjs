// Sizes of what a page makes a browser download: the HTML and every /pkg asset it
// fetched (JS, CSS, the main WASM and the lazy islands' WASM chunks, which only a
// real browser running the page asks for), raw and brotli-compressed at quality 11,
// as a CDN would serve them. Read in Chromium (Debian's, driven by Playwright).
import { brotliCompressSync, constants } from 'node:zlib';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { chromium } = createRequire(path.join(root, 'end2end', 'package.json'))('@playwright/test');
const pageUrl = process.argv[2];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run'],
});
const context = await browser.newContext({ serviceWorkers: 'block' });
const page = await context.newPage();
const assets = new Set();
page.on('request', (r) => {
  const url = new URL(r.url());
  if (url.pathname.startsWith('/pkg/')) assets.add(url.pathname);
});
// Islands hydrate when the browser is idle, each fetching its chunks; the network
// going quiet after that is the page fully interactive.
await page.goto(pageUrl, { waitUntil: 'networkidle' });
await page.waitForTimeout(1000);
await browser.close();

const fetchBytes = async (url) => Buffer.from(await (await fetch(url)).arrayBuffer());
const br = (buf) => brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const row = (name, raw, comp) => console.log(`${name.padEnd(48)} ${String(raw).padStart(9)} ${String(comp).padStart(9)}`);
row('file', 'raw', 'brotli');
let rawTotal = 0, brTotal = 0, wasmJsBr = 0;
for (const asset of [...assets].sort()) {
  const body = await fetchBytes(new URL(asset, pageUrl));
  const compressed = br(body);
  rawTotal += body.length;
  brTotal += compressed;
  if (!asset.endsWith('.css')) wasmJsBr += compressed;
  row(asset, body.length, compressed);
}
row(`total (${assets.size} files: JS + WASM + CSS)`, rawTotal, brTotal);
row('of which WASM + JS', '', wasmJsBr);
const html = await fetchBytes(pageUrl);
row('page HTML', html.length, br(html));
