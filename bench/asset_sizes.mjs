// Sizes of what the home page makes a browser download: the HTML and every /pkg asset
// (JS, WASM, CSS), raw and brotli-compressed (quality 11, as a CDN would serve them).
import { brotliCompressSync, constants } from 'node:zlib';

const base = process.argv[2];
const fetchBytes = async (url) => Buffer.from(await (await fetch(url)).arrayBuffer());
// Only what the server really serves as an asset (a guessed name may 404 into a page).
const isAsset = async (url) => {
  const r = await fetch(url, { method: 'HEAD' });
  return r.ok && !(r.headers.get('content-type') ?? '').startsWith('text/html');
};
const html = (await fetchBytes(base)).toString('utf8');
const assets = new Set([...html.matchAll(/["'](\/pkg\/[^"']+)["']/g)].map((m) => m[1]));
// The JS glue names its WASM; islands fetch it on load.
for (const js of [...assets].filter((a) => a.endsWith('.js'))) {
  const text = (await fetchBytes(new URL(js, base))).toString('utf8');
  for (const m of text.matchAll(/["'`]([^"'`]+\.wasm)["'`]/g)) assets.add(new URL(m[1], new URL(js, base)).pathname);
}
const br = (buf) => brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
let rawTotal = 0, brTotal = 0;
const row = (name, raw, comp) => console.log(`${name.padEnd(28)} ${String(raw).padStart(9)} ${String(comp).padStart(9)}`);
row('file', 'raw', 'brotli');
for (const path of [...assets].sort()) {
  if (!(await isAsset(new URL(path, base)))) continue;
  const body = await fetchBytes(new URL(path, base));
  rawTotal += body.length; brTotal += br(body);
  row(path, body.length, br(body));
}
row('total (JS + WASM + CSS)', rawTotal, brTotal);
const page = Buffer.from(html);
row('home HTML', page.length, br(page));
