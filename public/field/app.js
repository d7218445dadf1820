// The field app's screen (`/field`): draws the day kept on the phone, takes a visit
// (notes, plant counts per crop, photos from the camera, the position when allowed,
// tasks it completes) into the outbox, and sends what waits whenever there is a
// connection (outbox.js). Works the same with no network: the shell comes from the
// service worker and the day from IndexedDB.

import * as store from '/field/outbox.js';

const root = document.querySelector('[data-testid="field-app"]');
const $ = (id) => root.querySelector(`[data-testid="${id}"]`);
const form = $('visit-form');
const farmSelect = form.querySelector('#visit-farm');
const notes = form.querySelector('#visit-notes');
const photosInput = form.querySelector('#visit-photos');
let today = null;
let position = null;
let lastResult = null;
let syncTimer = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) node.append(c);
  return node;
}

function setError(field, message) {
  const p = form.querySelector(`[data-error="${field}"]`);
  if (p) p.textContent = message || '';
}

function drawDay() {
  const farms = today ? today.farms : [];
  const chosen = farmSelect.value;
  farmSelect.replaceChildren(el('option', { value: '', text: farms.length ? 'Choose a farm' : 'No farms yet' }));
  for (const f of farms) farmSelect.append(el('option', { value: f.slug, text: f.name }));
  if (chosen) farmSelect.value = chosen;
  $('field-agent').textContent = today ? `${today.agentName} · ${today.today}` : '';
  const list = $('field-tasks');
  list.replaceChildren();
  const tasks = today ? today.tasks : [];
  if (!tasks.length) list.append(el('li', { class: 'py-2 text-stone-600', text: today ? 'Nothing due today.' : 'Not read yet.' }));
  for (const t of tasks) {
    const overdue = today && t.dueOn < today.today;
    list.append(
      el('li', { class: 'py-2', 'data-testid': 'field-task', 'data-overdue': overdue ? 'true' : 'false' },
        el('span', { class: 'font-medium', text: t.title }),
        el('span', { class: overdue ? 'ml-2 text-red-700' : 'ml-2 text-stone-600', text: `${t.farmName} · due ${t.dueOn}${overdue ? ' (overdue)' : ''}` })),
    );
  }
  drawFarmParts();
}

function drawFarmParts() {
  const farm = today && today.farms.find((f) => f.slug === farmSelect.value);
  const counts = $('plant-counts');
  counts.replaceChildren();
  for (const crop of farm ? farm.crops : []) {
    const row = el('div', { class: 'grid grid-cols-4 items-end gap-2', 'data-crop': crop }, el('span', { class: 'text-sm', text: crop }));
    for (const part of ['planted', 'alive', 'lost']) {
      const id = `count-${crop}-${part}`.replace(/[^a-z0-9-]/gi, '-');
      row.append(
        el('label', { class: 'text-xs text-stone-600', for: id }, `${part[0].toUpperCase()}${part.slice(1)}`,
          el('input', { id, name: part, type: 'number', min: '0', step: '1', inputmode: 'numeric', class: 'mt-1 block w-full rounded-lg border border-stone-300 px-2 py-1.5' })),
      );
    }
    counts.append(row);
  }
  const tasks = $('visit-tasks');
  tasks.replaceChildren();
  for (const t of today ? today.tasks.filter((t) => farm && t.farmId === farm.id) : []) {
    const id = `task-${t.id}`;
    tasks.append(el('label', { class: 'flex items-center gap-2', for: id }, el('input', { id, type: 'checkbox', value: t.id }), t.title));
  }
}

function statusText(s) {
  return { waiting: 'Waiting to send', sent: 'Sent', refused: 'Refused' }[s] || s;
}

async function drawOutbox() {
  const items = await store.outbox();
  const list = $('field-outbox');
  list.replaceChildren();
  if (!items.length) list.append(el('li', { class: 'py-2 text-stone-600', text: 'Nothing recorded on this phone yet.' }));
  for (const v of items) {
    const farm = today && today.farms.find((f) => f.slug === v.visit.farm);
    const li = el('li', { class: 'py-2', 'data-testid': 'outbox-visit', 'data-status': v.status, 'data-id': v.id },
      el('p', { class: 'font-medium', text: `${farm ? farm.name : v.visit.farm} · ${new Date(v.visit.visitedAt).toLocaleString()}` }),
      el('p', { 'data-testid': 'outbox-visit-status', text: statusText(v.status) + (v.error ? `: ${v.error}` : '') }));
    for (const p of v.photos) {
      li.append(el('p', { class: 'text-xs text-stone-600', 'data-testid': 'outbox-photo', 'data-status': p.status, text: `${p.name}: ${statusText(p.status)}${p.error ? `: ${p.error}` : ''}` }));
    }
    list.append(li);
  }
  const waiting = items.filter((v) => v.status === 'waiting').length + items.flatMap((v) => v.photos).filter((p) => p.status === 'waiting').length;
  const online = navigator.onLine;
  let text = online ? 'Online' : 'Offline';
  if (waiting) text += ` · ${waiting} waiting`;
  if (lastResult && !lastResult.ok && lastResult.kind === 'signin') text += ' · sign in to send';
  else if (lastResult && !lastResult.ok && lastResult.kind === 'server') text += ' · will retry';
  $('field-status').textContent = text;
  $('field-status').dataset.waiting = String(waiting);
}

async function sync() {
  clearTimeout(syncTimer);
  if (navigator.onLine) {
    lastResult = await store.run();
    if (lastResult.kind === 'signin') $('field-signin').hidden = false;
    await drawOutbox();
  }
  // Tried again every half minute while something waits (the outbox knows what).
  syncTimer = setTimeout(sync, 30_000);
}

function readCounts() {
  const counts = [];
  const errors = [];
  for (const row of $('plant-counts').querySelectorAll('[data-crop]')) {
    const value = (name) => row.querySelector(`input[name="${name}"]`).value.trim();
    const [planted, alive, lost] = ['planted', 'alive', 'lost'].map(value);
    if (!planted && !alive && !lost) continue;
    const n = [planted, alive, lost].map((x) => (x === '' ? 0 : Number(x)));
    if (n.some((x) => !Number.isInteger(x) || x < 0)) errors.push(`${row.dataset.crop}: whole numbers only`);
    else counts.push({ crop: row.dataset.crop, planted: n[0], alive: n[1], lost: n[2] });
  }
  return { counts, errors };
}

function readReadings() {
  const readings = [];
  for (const input of $('visit-readings').querySelectorAll('input')) {
    const value = input.value.trim().replace(',', '.');
    if (value) readings.push({ metric: input.name, value });
  }
  return readings;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  for (const f of ['farm', 'notes', 'plantCounts', 'readings', 'photos']) setError(f, '');
  const farm = farmSelect.value;
  if (!farm) {
    setError('farm', 'Choose the farm you visited');
    farmSelect.focus();
    return;
  }
  const { counts, errors } = readCounts();
  if (errors.length) {
    setError('plantCounts', errors.join('; '));
    return;
  }
  const readings = readReadings();
  const notNumber = readings.find((r) => !/^-?\d+(\.\d+)?$/.test(r.value));
  if (notNumber) {
    setError('readings', `${notNumber.metric.replace('_', ' ')}: a number, like 31.5`);
    return;
  }
  const files = Array.from(photosInput.files || []);
  const notImage = files.find((f) => f.type && !f.type.startsWith('image/'));
  if (notImage) {
    setError('photos', `${notImage.name} is not a photo`);
    return;
  }
  const visit = {
    id: crypto.randomUUID(),
    farm,
    visitedAt: new Date().toISOString(),
    notes: notes.value,
    position,
    plantCounts: counts,
    completesTasks: Array.from($('visit-tasks').querySelectorAll('input:checked')).map((c) => c.value),
    readings,
  };
  try {
    await store.saveVisit(visit, files);
  } catch (e) {
    setError('photos', `This phone could not keep the visit: ${e.message || e}`);
    return;
  }
  form.reset();
  position = null;
  $('visit-position-text').textContent = '';
  drawFarmParts();
  $('visit-saved').textContent = files.length ? `Visit saved with ${files.length} photo${files.length > 1 ? 's' : ''}` : 'Visit saved';
  await drawOutbox();
  requestBackgroundSync();
  sync();
});

farmSelect.addEventListener('change', drawFarmParts);

$('visit-position').addEventListener('click', () => {
  const text = $('visit-position-text');
  if (!('geolocation' in navigator)) {
    text.textContent = 'This phone cannot give a position';
    return;
  }
  text.textContent = 'Finding you…';
  navigator.geolocation.getCurrentPosition(
    (p) => {
      // Six decimals (about 10 cm), as the server keeps them.
      position = {
        latitude: p.coords.latitude.toFixed(6),
        longitude: p.coords.longitude.toFixed(6),
        accuracyM: p.coords.accuracy ? p.coords.accuracy.toFixed(1) : null,
      };
      text.textContent = `${position.latitude}, ${position.longitude} (±${Math.round(p.coords.accuracy || 0)} m)`;
    },
    (e) => {
      text.textContent = e.code === 1 ? 'Position not allowed: the visit is kept without it' : 'No position found';
    },
    { enableHighAccuracy: true, timeout: 20_000, maximumAge: 60_000 },
  );
});

function requestBackgroundSync() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.ready.then((reg) => (reg.sync ? reg.sync.register(store.SYNC_TAG) : null)).catch(() => {});
}

window.addEventListener('online', () => {
  refresh();
  sync();
});
window.addEventListener('offline', drawOutbox);

async function refresh() {
  const r = await store.refreshDay();
  if (r.ok) {
    today = r.day;
    $('field-signin').hidden = true;
    drawDay();
  } else if (r.kind === 'signin') {
    $('field-signin').hidden = false;
  }
}

async function boot() {
  today = await store.day();
  drawDay();
  await drawOutbox();
  if (navigator.onLine) await refresh();
  root.dataset.ready = 'true';
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js', { scope: '/field', type: 'module' }).catch(() => {});
  }
  sync();
}

boot();
