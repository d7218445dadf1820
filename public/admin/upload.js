// Resumable uploads from the back office (product pictures, catalogue CSV files), by
// tus 1.0.0 as the field app sends photos: POST /uploads names the file, PATCH sends it
// in chunks from the offset the server confirmed, HEAD finds that offset again after a
// cut. A form marked `data-tus-upload="<purpose>"` is sent this way; its
// `<progress data-upload-progress>` follows the bytes, and when the last is in the
// browser goes to `data-done` (`{id}` there is the upload's id).

const CHUNK = 4 * 1024 * 1024;
const TUS = { 'Tus-Resumable': '1.0.0' };

function b64(text) {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

async function problem(r) {
  try {
    const body = await r.json();
    const e = body.error || body;
    const fields = e.fields ? Object.entries(e.fields).map(([k, v]) => `${k} ${v}`) : [];
    return fields.length ? fields.join('; ') : e.message || `the server answered ${r.status}`;
  } catch {
    return `the server answered ${r.status}`;
  }
}

async function send(form, file, progress) {
  const id = uuid();
  const meta = [`id ${b64(id)}`, `purpose ${b64(form.dataset.tusUpload)}`, `filename ${b64(file.name)}`];
  if (form.dataset.product) meta.push(`product ${b64(form.dataset.product)}`);
  const created = await fetch('/uploads', {
    method: 'POST',
    headers: { ...TUS, 'Upload-Length': String(file.size), 'Upload-Metadata': meta.join(',') },
    credentials: 'same-origin',
  });
  if (created.status !== 201) throw new Error(await problem(created));
  const location = created.headers.get('Location');
  let offset = Number(created.headers.get('Upload-Offset') || 0);
  let failures = 0;
  while (offset < file.size) {
    let r;
    try {
      r = await fetch(location, {
        method: 'PATCH',
        headers: { ...TUS, 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' },
        body: file.slice(offset, Math.min(offset + CHUNK, file.size)),
        credentials: 'same-origin',
      });
    } catch {
      r = null;
    }
    if (r && r.status === 204) {
      offset = Number(r.headers.get('Upload-Offset'));
      failures = 0;
      progress.value = Math.round((offset * 100) / file.size);
      continue;
    }
    if (r && r.status < 500 && r.status !== 409 && r.status !== 429) throw new Error(await problem(r));
    failures += 1;
    if (failures > 5) throw new Error(r ? await problem(r) : 'the connection keeps failing; try again');
    await new Promise((done) => setTimeout(done, 1000 * failures));
    const head = await fetch(location, { method: 'HEAD', headers: TUS, credentials: 'same-origin' });
    if (head.ok) offset = Number(head.headers.get('Upload-Offset'));
  }
  return id;
}

for (const form of document.querySelectorAll('form[data-tus-upload]')) {
  if (form.dataset.ready) continue;
  form.dataset.ready = 'true';
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = form.querySelector('input[type=file]');
    const progress = form.querySelector('[data-upload-progress]');
    const error = form.querySelector('[data-upload-error]');
    const button = form.querySelector('button[type=submit]');
    const file = input.files && input.files[0];
    error.textContent = '';
    if (!file) {
      error.textContent = 'Choose a file first.';
      return;
    }
    button.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    try {
      const id = await send(form, file, progress);
      window.location.href = form.dataset.done.replace('{id}', id);
    } catch (e) {
      error.textContent = `Not uploaded: ${e.message}`;
      progress.hidden = true;
      button.disabled = false;
    }
  });
}
