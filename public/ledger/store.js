// The ledger tablet's local store and sync engine. Entries are written to IndexedDB
// first (one durable transaction: the entry and its numbered mutation), then pushed
// to the server in order with Replicache's protocol and pulled back with a cursor.
// Rules (quantity checks, slot rates, totals, merges) live in Rust; this module only
// keeps and moves what the island decided. It runs in the page and in the service
// worker (Background Sync), so it touches no DOM.

const PROTOCOL = 1;
const ME_KEY = 'mandi.ledger.me';
const BATCH = 500;
const PULL_DAYS = 2;
const INTERVAL_MS = 30_000;

let db = null;
let dbName = null;
let me = null;
// Waits before each retry, seconds; the island passes domain::sync_backoff's.
let delays = [1, 2, 4, 8, 16];
const engine = { state: 'idle', failures: 0, message: null, retryAt: null, signIn: false, outdated: false, updateReady: false, lastSyncAt: null };
// Reference data (growers, flowers, rates) newer than what the screen was opened with,
// handed to the screen once with the next snapshot.
let freshReference = null;
let timer = null;
let running = null;
// Asked for while a pass was running: that pass may have read before the change.
let again = false;
let started = false;

const hasWindow = typeof window !== 'undefined';

// Changes are announced at most once a frame: a burst of saves is one redraw of the
// screen, not one per entry. While a sync runs, every two seconds: each redraw
// re-reads the store, and redrawing a long morning after every batch of 500 took half
// of a 10,000-entry sync's time.
let emitTimer = null;
let emitDue = 0;
function announce() {
  emitTimer = null;
  try {
    globalThis.dispatchEvent(new Event('mandi-ledger'));
  } catch (_) {
    // No event target in this context.
  }
}
// Whether entries or conflicts changed since the screen last read them. A save does
// not set it: the screen merges the entry the save returns, so the next save never
// waits behind a read of the whole day.
let entriesChanged = true;
let fullReads = 0;
let reads = 0;

/** Something other than a save from this screen wrote entries or conflicts. */
function changed(soon = false) {
  entriesChanged = true;
  emit(soon);
}

/** `soon`: something the person did (a save) or the end of a sync, shown within a frame. */
function emit(soon = false) {
  const wait = soon || engine.state !== 'syncing' ? 16 : 2000;
  if (emitTimer !== null) {
    if (Date.now() + wait >= emitDue) return;
    clearTimeout(emitTimer);
  }
  emitDue = Date.now() + wait;
  emitTimer = setTimeout(announce, wait);
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
    tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
  });
}

function openDb(name) {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(name, 2);
    r.onupgradeneeded = (event) => {
      const d = r.result;
      if (event.oldVersion < 1) {
        d.createObjectStore('meta');
        d.createObjectStore('reference');
        const entries = d.createObjectStore('entries', { keyPath: 'clientId' });
        entries.createIndex('marketDate', 'marketDate');
        d.createObjectStore('mutations', { keyPath: 'mutationId' });
        d.createObjectStore('conflicts', { keyPath: 'id' });
      }
      // Version 2: "is anything still queued for this entry?" without reading the
      // whole queue on every save (the queue can hold thousands during a long outage).
      if (event.oldVersion < 2) r.transaction.objectStore('mutations').createIndex('clientId', 'entry.clientId');
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.onblocked = () => reject(new Error('the ledger is open in an older tab; close it'));
  });
}

function nameFor(person) {
  return `mandi-ledger:${person.tenant}:${person.userId}`;
}

async function use(person) {
  const name = nameFor(person);
  if (db && dbName === name) return;
  if (db) db.close();
  db = await openDb(name);
  dbName = name;
  me = person;
}

async function meta(key) {
  return request(db.transaction('meta').objectStore('meta').get(key));
}

async function deviceId() {
  let id = await meta('deviceId');
  if (!id) {
    id = crypto.randomUUID();
    const tx = db.transaction('meta', 'readwrite');
    const store = tx.objectStore('meta');
    // Another tab may have minted one meanwhile: keep the first.
    const existing = await request(store.get('deviceId'));
    if (existing) id = existing;
    else store.put(id, 'deviceId');
    await finished(tx);
  }
  return id;
}

function readMe() {
  try {
    return JSON.parse(localStorage.getItem(ME_KEY) || 'null');
  } catch (_) {
    return null;
  }
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
  return { status: r.status, ok: r.ok, data, retryAfter: Number(r.headers.get('retry-after')) || null };
}

/** Opens the ledger for whoever is signed in (or was, when offline). */
export async function boot() {
  let person = hasWindow ? readMe() : null;
  let fresh = null;
  let signIn = false;
  try {
    const r = await callFn('/_fn/ledger/boot', {});
    if (r.status === 401) signIn = true;
    else if (r.status === 403 || r.status === 404) return JSON.stringify({ error: 'forbidden' });
    else if (r.ok) fresh = r.data;
  } catch (_) {
    // Offline: carry on with what this tablet keeps.
  }
  if (fresh) {
    person = fresh.me;
    localStorage.setItem(ME_KEY, JSON.stringify(person));
  }
  if (!person) return JSON.stringify({ error: signIn ? 'signin' : 'offline-first-run' });
  await use(person);
  if (fresh) {
    const tx = db.transaction('reference', 'readwrite');
    tx.objectStore('reference').put(fresh.reference, 'data');
    await finished(tx);
  }
  const reference = await request(db.transaction('reference').objectStore('reference').get('data'));
  if (!reference) return JSON.stringify({ error: signIn ? 'signin' : 'offline-first-run' });
  engine.signIn = signIn;
  start();
  return JSON.stringify({ me: person, reference, ...(await snapshotObject()) });
}

/**
 * `full`: entries and conflicts too; otherwise only the queue length and the engine.
 * `screen`: the entry screen reads, so what it has not yet seen is now seen. Any other
 * reader (a check, the bench) must leave that alone: taking it left the screen's next
 * read without the entries a sync had just marked sent.
 */
async function snapshotObject(full = true, screen = true) {
  reads += 1;
  if (full) {
    fullReads += 1;
    if (screen) entriesChanged = false;
  }
  try {
    const stores = full ? ['entries', 'mutations', 'conflicts'] : ['mutations'];
    const tx = db.transaction(stores);
    const [pending, entries, conflicts] = await all([
      tx.objectStore('mutations').count(),
      ...(full ? [tx.objectStore('entries').getAll(), tx.objectStore('conflicts').getAll()] : []),
    ]);
    const out = { pending, sync: { ...engine, online: hasWindow ? navigator.onLine : true } };
    if (full) Object.assign(out, { entries, conflicts });
    if (screen && freshReference) {
      out.reference = freshReference;
      freshReference = null;
    }
    return out;
  } finally {
    reads -= 1;
    if (full) fullReads -= 1;
  }
}

/** Everything this tablet holds, for a reader other than the entry screen. */
export async function snapshot() {
  if (!db) return JSON.stringify({ error: 'not-open' });
  return JSON.stringify(await snapshotObject(true, false));
}

/**
 * What changed since the screen's last read: entries only when something besides its
 * own saves wrote them, or when `full` (the screen threw away a read that held them).
 */
export async function changes(full = false) {
  if (!db) return JSON.stringify({ error: 'not-open' });
  return JSON.stringify(await snapshotObject(full || entriesChanged));
}

/** How sync stands (queue length and engine), without reading every entry. */
export async function syncStatus() {
  if (!db) return JSON.stringify({ error: 'not-open' });
  const pending = await request(db.transaction('mutations').objectStore('mutations').count());
  return JSON.stringify({ pending, sync: { ...engine, online: hasWindow ? navigator.onLine : true } });
}

/**
 * Saves one change in a single durable transaction: the entry as it now stands
 * locally and the mutation that carries it to the server. `change` is
 * `{op, clientId, local, entry}`; this numbers the mutation and fills in the version
 * and fields it was made from.
 */
export async function saveEntry(changeJson) {
  const change = JSON.parse(changeJson);
  const tx = db.transaction(['entries', 'mutations', 'meta'], 'readwrite', { durability: 'strict' });
  const entries = tx.objectStore('entries');
  const mutations = tx.objectStore('mutations');
  const metaStore = tx.objectStore('meta');
  // Asked together: each read is a round trip to the storage process, and a save must
  // fit in a frame.
  // A create's id is new (UUID v7 made for it): nothing to read, and `add` below refuses
  // the impossible duplicate instead of overwriting it.
  const creating = change.op === 'create';
  const [stored, current, queued] = await all([
    metaStore.get('nextMutationId'),
    ...(creating ? [] : [entries.get(change.clientId), mutations.index('clientId').count(change.clientId)]),
  ]);
  const next = stored || 1;
  const mutation = { mutationId: next, op: change.op, entry: change.entry };
  if (!creating) {
    if (!current) {
      tx.abort();
      throw new Error('no such entry on this tablet');
    }
    mutation.baseVersion = (current.server ? current.server.version : 0) + queued;
    mutation.base = { farmerId: current.farmerId, flowerTypeId: current.flowerTypeId, quantityKg: current.quantityKg };
  }
  const local = { ...(current || {}), ...change.local, clientId: change.clientId, syncStatus: 'pending', reason: null, message: null };
  if (!current) local.server = null;
  if (creating) entries.add(local);
  else entries.put(local);
  mutations.put(mutation);
  metaStore.put(next + 1, 'nextMutationId');
  await finished(tx);
  // The screen merges what this returns. A read that was under way may predate this
  // save: have it read once more (entries too, if that read was a full one).
  if (fullReads > 0) entriesChanged = true;
  if (reads > 0) emit(true);
  // Send it soon (a pass already running sends it right after); after repeated
  // failures the backoff starts over, since the person is clearly still working.
  if (engine.state === 'failed') engine.failures = 0;
  if (engine.state !== 'waiting' || engine.failures === 0) schedule(300);
  requestBackgroundSync();
  return JSON.stringify(local);
}

function requestBackgroundSync() {
  if (!hasWindow || !('serviceWorker' in navigator)) return;
  navigator.serviceWorker.ready
    .then((reg) => (reg.sync ? reg.sync.register('mandi-ledger-push') : null))
    .catch(() => {});
}

/** Gives up on an entry the server refused (it stays in the audit log there). */
export async function discard(clientId) {
  const tx = db.transaction(['entries', 'mutations'], 'readwrite');
  const entry = await request(tx.objectStore('entries').get(clientId));
  if (entry && entry.syncStatus === 'rejected') {
    if (entry.server) tx.objectStore('entries').put({ ...entry, ...pick(entry.server), syncStatus: 'synced', reason: null, message: null });
    else tx.objectStore('entries').delete(clientId);
  }
  await finished(tx);
  changed(true);
  return '{}';
}

/** The person has seen a conflict; the server's outcome stands. */
export async function acknowledge(id) {
  try {
    const r = await callFn('/_fn/ledger/conflicts/ack', { id });
    if (!r.ok && r.status !== 404) return JSON.stringify({ error: 'offline' });
  } catch (_) {
    return JSON.stringify({ error: 'offline' });
  }
  const tx = db.transaction(['conflicts', 'entries'], 'readwrite');
  const conflict = await request(tx.objectStore('conflicts').get(id));
  tx.objectStore('conflicts').delete(id);
  if (conflict) {
    const entry = await request(tx.objectStore('entries').get(conflict.clientId));
    if (entry && entry.syncStatus === 'conflict') tx.objectStore('entries').put({ ...entry, syncStatus: 'synced' });
  }
  await finished(tx);
  changed(true);
  return '{}';
}

export function configure(delaysJson) {
  try {
    const d = JSON.parse(delaysJson);
    if (Array.isArray(d) && d.length) delays = d;
  } catch (_) {
    // Keep the defaults.
  }
}

/** Sync now (the retry button, coming back online). */
export function syncNow() {
  engine.failures = 0;
  if (engine.state === 'failed') engine.state = 'idle';
  schedule(0);
}

function start() {
  if (started || !hasWindow) return;
  started = true;
  // A new service worker took over (the app was updated): this page still runs the
  // old code. Entries are safe in IndexedDB; offer a reload rather than force one.
  if (navigator.serviceWorker) {
    let controlled = Boolean(navigator.serviceWorker.controller);
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      if (controlled) {
        engine.updateReady = true;
        emit();
      }
      controlled = true;
    });
  }
  window.addEventListener('online', () => syncNow());
  window.addEventListener('offline', () => emit());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') schedule(0);
  });
  setInterval(() => {
    if (engine.state === 'idle' || engine.state === 'synced') schedule(0);
  }, INTERVAL_MS);
  schedule(0);
}

function schedule(ms) {
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => {
    timer = null;
    run();
  }, ms);
}

/** One sync pass: push everything queued, then pull. One at a time per tab, and one across tabs. */
export function run() {
  if (running) {
    again = true;
    return running;
  }
  const pass = async () => {
    if (hasWindow && navigator.locks) return navigator.locks.request('mandi-ledger-sync', () => syncOnce());
    return syncOnce();
  };
  running = pass().finally(() => {
    running = null;
    if (again) {
      again = false;
      schedule(0);
    }
  });
  return running;
}

/** In the service worker there is no localStorage: find the tablet's database by name. */
async function personFromDatabases() {
  if (!indexedDB.databases) return null;
  const found = (await indexedDB.databases()).map((d) => d.name).find((n) => n && n.startsWith('mandi-ledger:'));
  if (!found) return null;
  const [, tenant, userId] = found.split(':');
  return { tenant, userId };
}

async function syncOnce() {
  if (!db) {
    const person = hasWindow ? readMe() : await personFromDatabases();
    if (!person) return;
    await use(person);
  }
  // The browser knows there is no network: a pass could only fail, and its reads of
  // the queue would hold up the saves being typed meanwhile. Coming back online
  // starts one ('online' above).
  if (hasWindow && navigator.onLine === false) {
    if (engine.state !== 'offline') {
      engine.state = 'offline';
      emit();
    }
    return;
  }
  engine.state = 'syncing';
  emit(true);
  try {
    await pushAll();
    await pullAll();
    engine.state = 'synced';
    engine.failures = 0;
    engine.message = null;
    engine.retryAt = null;
    engine.signIn = false;
    engine.lastSyncAt = new Date().toISOString();
  } catch (e) {
    fail(e);
  }
  emit(true);
}

class SyncError extends Error {
  constructor(kind, message, retryAfter) {
    super(message);
    this.kind = kind;
    this.retryAfter = retryAfter;
  }
}

function fail(e) {
  const kind = e instanceof SyncError ? e.kind : 'network';
  engine.message = e.message || String(e);
  if (kind === 'signin') {
    engine.state = 'signin';
    engine.signIn = true;
    return;
  }
  if (kind === 'outdated') {
    engine.state = 'outdated';
    engine.outdated = true;
    if (hasWindow && navigator.serviceWorker) navigator.serviceWorker.getRegistration('/ledger').then((r) => r && r.update()).catch(() => {});
    return;
  }
  engine.failures += 1;
  const wait = e.retryAfter || delays[engine.failures - 1];
  if (wait === undefined) {
    engine.state = 'failed';
    engine.retryAt = null;
    return;
  }
  engine.state = 'waiting';
  engine.retryAt = new Date(Date.now() + wait * 1000).toISOString();
  schedule(wait * 1000);
}

function pick(server) {
  return {
    farmerId: server.farmerId,
    flowerTypeId: server.flowerTypeId,
    quantityKg: server.quantityKg,
    rate: server.rate,
    total: server.total,
    rateSource: server.rateSource,
    status: server.status,
    slotId: server.slotId,
    marketDate: server.marketDate,
    recordedAt: server.recordedAt,
    enteredBy: server.enteredBy,
    settlementId: server.settlementId,
  };
}

async function pushAll() {
  const device = await deviceId();
  for (;;) {
    const queued = await request(db.transaction('mutations').objectStore('mutations').getAll(null, BATCH));
    if (!queued.length) return;
    let r;
    try {
      r = await callFn('/_fn/ledger/sync', {
        req: { protocolVersion: PROTOCOL, deviceId: device, appVersion: globalThis.MANDI_LEDGER_VERSION || null, mutations: queued },
      });
    } catch (e) {
      throw new SyncError('network', 'No connection to the server');
    }
    if (r.status === 401) throw new SyncError('signin', 'Sign in again to send the waiting entries');
    if (r.status === 400 && r.data && r.data.fields && r.data.fields.protocolVersion) throw new SyncError('outdated', r.data.fields.protocolVersion);
    if (r.status === 403) {
      // This tablet's id belongs to someone else (a shared tablet, a restored
      // profile): start a new one, renumbering what waits.
      await renumber(1, crypto.randomUUID());
      continue;
    }
    if (!r.ok) throw new SyncError('server', (r.data && r.data.message) || `The server answered ${r.status}`, r.retryAfter);
    const gap = await applyResults(r.data.results, queued);
    if (gap) await renumber(gap);
  }
}

/** Renumbers the waiting mutations from `from` (a gap the server reported, or a new device). */
async function renumber(from, newDevice) {
  const tx = db.transaction(['mutations', 'meta'], 'readwrite');
  const store = tx.objectStore('mutations');
  const all = await request(store.getAll());
  store.clear();
  all.forEach((m, i) => store.put({ ...m, mutationId: from + i }));
  tx.objectStore('meta').put(from + all.length, 'nextMutationId');
  if (newDevice) tx.objectStore('meta').put(newDevice, 'deviceId');
  await finished(tx);
}

// Requests in one IndexedDB transaction run in the order they are made, so each step is
// made for the whole batch and awaited once. Awaiting each request in turn (three round
// trips per entry) made a 10,000-entry sync take most of a minute.
const all = (requests) => Promise.all(requests.map(request));

// Each IndexedDB request costs a round trip to the browser's storage process; one per
// entry of a 500-entry batch was most of a sync's time. A batch's entries are mostly
// new ones whose UUID v7 ids lie close together, so one request over the range from
// the lowest id to the highest finds them all. When that range holds many other rows
// (an edit of an entry from early morning), it is one request per id instead.
async function inRange(source, ids, read) {
  const sorted = [...ids].sort();
  const range = IDBKeyRange.bound(sorted[0], sorted[sorted.length - 1]);
  if ((await request(source.count(range))) > ids.length * 4) return null;
  return request(read(range));
}

/** The stored entries for `ids`, by client id. */
async function storedEntries(entries, ids) {
  const found = new Map();
  if (!ids.length) return found;
  const rows = await inRange(entries, ids, (range) => entries.getAll(range));
  if (rows) {
    const wanted = new Set(ids);
    for (const row of rows) if (wanted.has(row.clientId)) found.set(row.clientId, row);
  } else {
    const values = await all(ids.map((id) => entries.get(id)));
    ids.forEach((id, i) => values[i] && found.set(id, values[i]));
  }
  return found;
}

/** Which of `ids` still have a mutation waiting (read through the queue's clientId index). */
async function stillQueued(byClient, ids) {
  const queued = new Set();
  if (!ids.length) return queued;
  const rows = await inRange(byClient, ids, (range) => byClient.getAll(range));
  if (rows) {
    for (const m of rows) queued.add(m.entry.clientId);
  } else {
    const counts = await all(ids.map((id) => byClient.count(id)));
    ids.forEach((id, i) => counts[i] > 0 && queued.add(id));
  }
  return queued;
}

/** `sent`: the mutations of the batch these results answer, as pushed. */
async function applyResults(results, sent) {
  const tx = db.transaction(['entries', 'mutations', 'conflicts'], 'readwrite');
  const entries = tx.objectStore('entries');
  const mutations = tx.objectStore('mutations');
  let gap = null;
  const answered = [];
  for (const res of results) {
    if (res.reason === 'MUTATION_GAP') gap = gap || res.expectedMutationId;
    else answered.push(res);
  }
  const sentById = new Map(sent.map((m) => [m.mutationId, m]));
  const numbers = answered.map((res) => res.mutationId);
  const lowest = Math.min(...numbers);
  const highest = Math.max(...numbers);
  if (answered.length && highest - lowest + 1 === new Set(numbers).size) mutations.delete(IDBKeyRange.bound(lowest, highest));
  else numbers.forEach((n) => mutations.delete(n));
  const ids = answered.map((res) => (res.entry && res.entry.clientId) || (sentById.get(res.mutationId) || { entry: {} }).entry.clientId || null);
  const unique = [...new Set(ids.filter(Boolean))];
  // Read after this batch's deletes: a later change still waiting keeps the entry pending.
  const [locals, waiting] = await Promise.all([storedEntries(entries, unique), stillQueued(mutations.index('clientId'), unique)]);
  answered.forEach((res, i) => {
    const clientId = ids[i];
    if (!clientId) return;
    const local = locals.get(clientId);
    let next = null;
    if (res.status === 'applied' || res.status === 'duplicate' || res.status === 'conflict') {
      const server = res.entry;
      if (!server) return;
      next = { ...(local || {}), clientId, server: { ...server } };
      if (!waiting.has(clientId)) Object.assign(next, pick(server));
      next.syncStatus = waiting.has(clientId) ? 'pending' : res.status === 'conflict' ? 'conflict' : 'synced';
      next.reason = null;
      next.message = null;
      if (res.conflict) tx.objectStore('conflicts').put({ ...res.conflict });
    } else if (local) {
      // Refused: kept as typed, with the reason, for the person to correct or discard.
      next = { ...local, syncStatus: 'rejected', reason: res.reason, message: res.message, server: local.server || (res.entry ? { ...res.entry } : null) };
    }
    if (next) {
      entries.put(next);
      // A later answer in this batch for the same entry builds on this one.
      locals.set(clientId, next);
    }
  });
  await finished(tx);
  changed();
  return gap;
}

async function pullAll() {
  const device = await deviceId();
  for (;;) {
    const since = (await meta('cursor')) || 0;
    let r;
    try {
      r = await callFn('/_fn/ledger/changes', { device_id: device, since, days: PULL_DAYS });
    } catch (e) {
      throw new SyncError('network', 'No connection to the server');
    }
    if (r.status === 401) throw new SyncError('signin', 'Sign in again to receive changes');
    if (!r.ok) throw new SyncError('server', (r.data && r.data.message) || `The server answered ${r.status}`, r.retryAfter);
    const page = r.data;
    const tx = db.transaction(['entries', 'mutations', 'meta', 'conflicts'], 'readwrite');
    const entries = tx.objectStore('entries');
    const unique = [...new Set(page.entries.map((server) => server.clientId))];
    const [latest, waiting] = await Promise.all([storedEntries(entries, unique), stillQueued(tx.objectStore('mutations').index('clientId'), unique)]);
    page.entries.forEach((server) => {
      const local = latest.get(server.clientId);
      const next = { ...(local || {}), clientId: server.clientId, server: { ...server } };
      if (!waiting.has(server.clientId)) {
        Object.assign(next, pick(server));
        if (!local || local.syncStatus !== 'conflict') next.syncStatus = 'synced';
      }
      entries.put(next);
      latest.set(server.clientId, next);
    });
    for (const c of page.openConflicts || []) tx.objectStore('conflicts').put(c);
    tx.objectStore('meta').put(page.referenceVersion, 'serverReferenceVersion');
    tx.objectStore('meta').put(page.cursor, 'cursor');
    await finished(tx);
    changed();
    if (!page.hasMore) break;
  }
  // Reference data is a nicety here; the entries above are what must not fail.
  await refreshReference().catch(() => {});
}

/** An admin changed growers, flowers, slots, terms or rates: fetch them again. */
async function refreshReference() {
  const known = await request(db.transaction('reference').objectStore('reference').get('data'));
  const version = await meta('serverReferenceVersion');
  if (known && version !== undefined && known.referenceVersion >= version) return;
  const r = await callFn('/_fn/ledger/boot', {});
  if (!r.ok || !r.data) return;
  const tx = db.transaction('reference', 'readwrite');
  tx.objectStore('reference').put(r.data.reference, 'data');
  await finished(tx);
  if (known && r.data.reference.referenceVersion !== known.referenceVersion) {
    freshReference = r.data.reference;
    emit();
  }
}

/**
 * Signing out clears this tablet's copy, but never while entries wait to be sent:
 * they exist nowhere else.
 */
export async function signOut() {
  if (db) {
    await run();
    const pending = await request(db.transaction('mutations').objectStore('mutations').count());
    if (pending > 0) return JSON.stringify({ error: 'pending', pending });
    db.close();
    db = null;
    await request(indexedDB.deleteDatabase(dbName));
  }
  if (hasWindow) {
    localStorage.removeItem(ME_KEY);
    if (navigator.serviceWorker) {
      const reg = await navigator.serviceWorker.getRegistration('/ledger');
      if (reg && reg.active) reg.active.postMessage({ type: 'CLEAR' });
    }
  }
  return '{}';
}

const LANG_KEY = 'mandi.ledger.lang';

/** The language chosen on this tablet, if any ('' otherwise). */
export function storedLanguage() {
  return (hasWindow && localStorage.getItem(LANG_KEY)) || '';
}

/** Remembers the language here at once, and for the person on the server when online. */
export function chooseLanguage(code) {
  if (hasWindow) localStorage.setItem(LANG_KEY, code);
  callFn('/_fn/ledger/language', { lang: code }).catch(() => {});
}
