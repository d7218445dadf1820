// The service worker of the ledger (scope /ledger) and the field app (scope /field). `VERSION` and `PRECACHE` are written above this by the
// server (server/src/pwa.rs) from the built site, so the list always matches the
// files being served and a new build installs a new worker.
//
// - The ledger shell (/ledger) and the built JS, WASM, CSS, the store module, fonts
//   and icons are precached and served from the cache: the ledger opens with no
//   network, after a restart too.
// - Other ledger pages: network first, then the cache.
// - Server functions and the API are never intercepted: entries are queued in
//   IndexedDB by the page, not by this worker.

import * as store from '/ledger/store.js';
import * as field from '/field/outbox.js';

const CACHE = `mandi-ledger-${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // The shell is anonymous: no person's data is ever in this cache.
      await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload', credentials: 'omit' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith('mandi-ledger-') && key !== CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

function isPrecached(url) {
  return PRECACHE.includes(url.pathname);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/_fn/') || url.pathname.startsWith('/api/')) return;
  for (const shell of ['/ledger', '/field']) {
    if (request.mode === 'navigate' && (url.pathname === shell || url.pathname === `${shell}/`)) {
      // The shell: cache first, so a flaky connection never stalls the counter or the field.
      event.respondWith(caches.match(shell, { ignoreSearch: true }).then((hit) => hit || fetch(request)));
      return;
    }
  }
  if (isPrecached(url)) {
    event.respondWith(caches.match(url.pathname).then((hit) => hit || fetch(request)));
    return;
  }
  if (request.mode === 'navigate' && url.pathname.startsWith('/ledger/')) {
    event.respondWith(
      fetch(request).catch(async () => (await caches.match('/ledger', { ignoreSearch: true })) || Response.error()),
    );
  }
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'CLEAR') {
    // Sign-out: nothing personal is cached, but start clean anyway.
    event.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k.startsWith('mandi-ledger-')).map((k) => caches.delete(k)))));
  }
});

self.addEventListener('sync', (event) => {
  if (event.tag === field.SYNC_TAG) {
    // Visits and photos recorded in the field, sent when the phone finds a signal.
    event.waitUntil(self.clients.matchAll({ type: 'window' }).then((open) => (open.length ? null : field.run())));
  }
  if (event.tag === 'mandi-ledger-push') {
    // With the tab closed, push what waits (the page does it itself when open).
    event.waitUntil(
      self.clients.matchAll({ type: 'window' }).then((open) => (open.length ? null : store.run())),
    );
  }
});
