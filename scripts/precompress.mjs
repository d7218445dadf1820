// Writes `.br` and `.gz` beside every compressible file of the built site, so the
// server hands browsers the smallest encoding without compressing on each request
// (leptos_axum's static-file service prefers these files; brotli's best quality is
// far too slow to run per request).
// Usage: node scripts/precompress.mjs [site-root] [brotli-quality]
//        (defaults: target/site, 11; the test build passes a lower quality, as its
//        unoptimised WASM is many times larger)
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = process.argv[2] ?? "target/site";
const quality = Number(process.argv[3] ?? constants.BROTLI_MAX_QUALITY);
const compressible = /\.(js|mjs|wasm|css|svg|html|json|webmanifest|txt|xml|map)$/;

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (compressible.test(entry.name)) yield path;
  }
}

const fresh = (target, source) => {
  try {
    return statSync(target).mtimeMs >= statSync(source).mtimeMs;
  } catch {
    return false;
  }
};

let written = 0;
for (const path of files(root)) {
  const body = readFileSync(path);
  if (body.length < 1024) continue;
  if (!fresh(`${path}.br`, path)) {
    const br = brotliCompressSync(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: quality,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    });
    writeFileSync(`${path}.br`, br);
    console.log(`  ${path}: ${body.length} B → ${br.length} B brotli`);
    written++;
  }
  if (!fresh(`${path}.gz`, path)) {
    writeFileSync(`${path}.gz`, gzipSync(body, { level: 9 }));
  }
}
console.log(`precompressed ${written} file(s) under ${root}`);
