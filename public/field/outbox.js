// The field app's store and outbox. A visit and its photos are written to IndexedDB in
// one transaction before anything is sent, so nothing recorded on a phone with no
// signal is lost. Sending follows the ledger's pattern: the phone makes each id, so a
// visit sent twice is stored once. Photos go after their visit, by tus 1.0.0
// (POST /uploads, HEAD for the offset, PATCH in chunks), so a photo cut off halfway
// resumes from what the server has, under the same id, and is never stored twice.
// No DOM here: the service worker runs this module too (Background Sync).

const DB_NAME = 'mandi-field';
const CHUNK = 256 * 1024;
export const SYNC_TAG = 'mandi-field-sync';

let dbPromise = null;

function open() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const r = indexedDB.open(DB_NAME, 1);
      r.onupgradeneeded = () => {
        const db = r.result;
        db.createObjectStore('kv');
        db.createObjectStore('visits', { keyPath: 'id' });
        db.createObjectStore('photos', { keyPath: 'id' });
      };
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }
  return dbPromise;
}

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function finished(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('the phone refused to store this'));
  });
}

async function all(store) {
  const db = await open();
  return request(db.transaction(store).objectStore(store).getAll());
}

async function get(store, key) {
  const db = await open();
  return request(db.transaction(store).objectStore(store).get(key));
}

async function put(store, value, key) {
  const db = await open();
  const tx = db.transaction(store, 'readwrite');
  tx.objectStore(store).put(value, key);
  await finished(tx);
}

/** The day last read from the server (farms, tasks, who is signed in), or null. */
export function day() {
  return get('kv', 'day');
}

export function keepDay(value) {
  return put('kv', value, 'day');
}

/** Forgets everything on this phone (sign-out). */
export async function clear() {
  const db = await open();
  const tx = db.transaction(['kv', 'visits', 'photos'], 'readwrite');
  for (const s of ['kv', 'visits', 'photos']) tx.objectStore(s).clear();
  await finished(tx);
}

/** Keeps a visit and its photos (File objects) on the phone, in one transaction. */
export async function saveVisit(visit, files) {
  const savedAt = new Date().toISOString();
  const photos = files.map((file) => ({
    id: crypto.randomUUID(),
    visitId: visit.id,
    blob: file,
    name: (file.name || 'photo.jpg').slice(0, 200),
    size: file.size,
    status: 'waiting',
    error: null,
    savedAt,
  }));
  const db = await open();
  const tx = db.transaction(['visits', 'photos'], 'readwrite');
  tx.objectStore('visits').put({ id: visit.id, visit, status: 'waiting', error: null, savedAt, photoIds: photos.map((p) => p.id) });
  for (const p of photos) tx.objectStore('photos').put(p);
  await finished(tx);
  return visit.id;
}

/** What is on the phone, newest first, without the photos' bytes. */
export async function outbox() {
  const [visits, photos] = await Promise.all([all('visits'), all('photos')]);
  const byVisit = new Map();
  for (const p of photos) {
    const { blob: _blob, ...rest } = p;
    if (!byVisit.has(p.visitId)) byVisit.set(p.visitId, []);
    byVisit.get(p.visitId).push(rest);
  }
  return visits
    .sort((a, b) => (a.savedAt < b.savedAt ? 1 : -1))
    .map((v) => ({ ...v, photos: byVisit.get(v.id) || [] }));
}

async function callFn(path, body) {
  const r = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  let data = null;
  try {
    data = await r.json();
  } catch (_) {
    data = null;
  }
  return { status: r.status, ok: r.ok, data };
}

/** The server's reason, in words: its message, or each field's complaint. */
function reason(status, data) {
  const error = data && (data.error || data);
  const fields = error && error.fields;
  if (fields && typeof fields === 'object' && Object.keys(fields).length) {
    return Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join('; ');
  }
  return (error && error.message) || `the server answered ${status}`;
}

/** Worth sending again later (the network, the server busy or down) rather than refused for good. */
function transient(status) {
  return status === 0 || status === 408 || status === 409 || status === 429 || status >= 500;
}

class Stop extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

async function sendVisit(v) {
  let r;
  try {
    r = await callFn('/_fn/field/visit', { visit: v.visit });
  } catch (_) {
    throw new Stop('offline', 'No connection');
  }
  if (r.status === 401) throw new Stop('signin', 'Sign in again to send what waits');
  if (r.ok) {
    await put('visits', { ...v, status: 'sent', error: null, receivedAt: r.data && r.data.visit && r.data.visit.receivedAt });
    return;
  }
  if (transient(r.status)) throw new Stop('server', reason(r.status, r.data));
  // Refused for good (a farm that is gone, a clash of ids): kept, with why, for the agent.
  await put('visits', { ...v, status: 'refused', error: reason(r.status, r.data) });
}

function b64(text) {
  return btoa(unescape(encodeURIComponent(text)));
}

async function tus(url, method, headers, body) {
  try {
    return await fetch(url, {
      method,
      headers: { 'Tus-Resumable': '1.0.0', ...headers },
      body,
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (_) {
    throw new Stop('offline', 'No connection');
  }
}

async function errorOf(r) {
  let data = null;
  try {
    data = await r.json();
  } catch (_) {
    data = null;
  }
  return reason(r.status, data);
}

async function sendPhoto(p) {
  const created = await tus('/uploads', 'POST', {
    'Upload-Length': String(p.size),
    'Upload-Metadata': `id ${b64(p.id)},visit ${b64(p.visitId)},filename ${b64(p.name)}`,
  });
  if (created.status === 401) throw new Stop('signin', 'Sign in again to send what waits');
  if (!created.ok) {
    if (transient(created.status)) throw new Stop('server', await errorOf(created));
    await put('photos', { ...p, status: 'refused', error: await errorOf(created) });
    return;
  }
  const location = created.headers.get('Location');
  let offset = Number(created.headers.get('Upload-Offset') || 0);
  while (offset < p.size) {
    const end = Math.min(offset + CHUNK, p.size);
    const r = await tus(location, 'PATCH', { 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' }, p.blob.slice(offset, end));
    if (r.status === 204) {
      offset = Number(r.headers.get('Upload-Offset'));
      continue;
    }
    if (r.status === 409) {
      // Another offset than ours (a chunk that arrived though its answer did not): ask.
      const head = await tus(location, 'HEAD', {});
      if (!head.ok) throw new Stop('server', `the server answered ${head.status}`);
      offset = Number(head.headers.get('Upload-Offset'));
      continue;
    }
    if (r.status === 401) throw new Stop('signin', 'Sign in again to send what waits');
    if (transient(r.status)) throw new Stop('server', await errorOf(r));
    // Not a photo, or too large: the server ended the upload. Kept here, with why.
    await put('photos', { ...p, status: 'refused', error: await errorOf(r) });
    return;
  }
  // Sent: the bytes are the server's now; keep only the record.
  await put('photos', { ...p, blob: null, status: 'sent', error: null });
}

let running = null;

/** One pass over what waits: visits oldest first, then their photos. Single-flight. */
export function run() {
  if (!running) {
    running = pass().finally(() => {
      running = null;
    });
  }
  return running;
}

async function pass() {
  try {
    const visits = (await all('visits')).filter((v) => v.status === 'waiting').sort((a, b) => (a.savedAt < b.savedAt ? -1 : 1));
    for (const v of visits) await sendVisit(v);
    const photos = (await all('photos')).filter((p) => p.status === 'waiting').sort((a, b) => (a.savedAt < b.savedAt ? -1 : 1));
    for (const p of photos) {
      const v = await get('visits', p.visitId);
      if (v && v.status === 'sent') await sendPhoto(p);
    }
    return { ok: true };
  } catch (e) {
    if (e instanceof Stop) return { ok: false, kind: e.kind, message: e.message };
    return { ok: false, kind: 'phone', message: e && e.message ? e.message : String(e) };
  }
}

/** Reads the day from the server when there is a connection (kept for when there is none). */
export async function refreshDay() {
  let r;
  try {
    r = await callFn('/_fn/field/day', {});
  } catch (_) {
    return { ok: false, kind: 'offline' };
  }
  if (r.status === 401 || r.status === 403) return { ok: false, kind: 'signin' };
  if (!r.ok) return { ok: false, kind: 'server', message: reason(r.status, r.data) };
  await keepDay(r.data);
  return { ok: true, day: r.data };
}
