import { test, expect, type Page, type BrowserContext } from '@playwright/test';
import { signIn as signInAt } from './ledger-support';

// The market tablet: the ledger opens and takes entries with no network, keeps them
// across a reload, and sends each exactly once when the connection returns.

async function signIn(page: Page, email: string) {
  await signInAt(page, email, '/ledger');
  await expect(page.getByTestId('ledger')).toHaveAttribute('data-ready', 'true');
}

async function waitForWorker(page: Page) {
  // Polled from here: the check itself is asynchronous in the page.
  await expect
    .poll(() =>
      page.evaluate(async () => {
        const reg = await navigator.serviceWorker.getRegistration('/ledger');
        return !!(reg && reg.active && reg.active.state === 'activated');
      }),
    )
    .toBe(true);
}

async function enter(page: Page, farmerNo: string, flowerIndex: number, kg: string) {
  const search = page.getByTestId('farmer-search');
  await search.fill(farmerNo);
  await search.press('Enter');
  await expect(page.getByTestId('chosen-farmer')).toContainText(`✓ ${farmerNo} ·`);
  await page.getByTestId('flower-option').nth(flowerIndex).check();
  await page.getByTestId('quantity').fill(kg);
  await page.getByTestId('quantity').press('Enter');
  // The whole message: a bare weight ("5") also matches the previous one ("3.750 kg"),
  // and the next entry would then be typed while this save is still clearing the form.
  const weight = Number(kg).toFixed(3).replace('.', '\\.');
  await expect(page.getByTestId('saved-message')).toHaveText(new RegExp(`^Saved: ${farmerNo} · .+, ${weight} kg$`));
}

async function offline(context: BrowserContext, on: boolean) {
  await context.setOffline(on);
}

test.describe.configure({ mode: 'serial' });

test('twenty entries made offline survive a reload and are sent once when back online', async ({ page, context, request }) => {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(String(err)));
  await signIn(page, 'staff@malar.demo');
  await waitForWorker(page);
  // A controlled reload: from now on the worker serves the shell.
  await page.reload();
  await expect(page.getByTestId('ledger')).toHaveAttribute('data-ready', 'true');
  await expect(page.getByTestId('online-badge')).toHaveText('Online');

  await offline(context, true);
  // While the browser knows it is offline, the engine does not try to send: each try
  // could only fail, and its reads of the queue would hold up the saves being typed.
  let pushesWhileOffline = 0;
  const countPush = (r: { url(): string }) => {
    if (r.url().includes('/_fn/ledger/sync')) pushesWhileOffline += 1;
  };
  page.on('request', countPush);
  await page.reload();
  await expect(page.getByTestId('ledger')).toHaveAttribute('data-ready', 'true');
  await expect(page.getByTestId('online-badge')).toHaveText('Offline');

  // Bad weights are refused beside the field, and nothing is queued.
  await page.getByTestId('farmer-search').fill('2');
  await page.getByTestId('farmer-search').press('Enter');
  await page.getByTestId('flower-option').first().check();
  await page.getByTestId('quantity').fill('0');
  await page.getByTestId('save-entry').click();
  await expect(page.locator('[data-field-error="quantity"]')).toContainText('above zero');
  await page.getByTestId('quantity').fill('9999');
  await page.getByTestId('save-entry').click();
  await expect(page.locator('[data-field-error="quantity"]')).toContainText('more than the market allows');
  await page.getByTestId('sync-button').click();
  await expect(page.getByTestId('count-pending')).toHaveText('0');

  const weights: string[] = [];
  for (let i = 0; i < 20; i++) {
    const kg = `${(i + 1) * 1.25}`;
    weights.push(kg);
    await enter(page, String((i % 5) + 2), i % 3, kg);
  }
  await expect(page.getByTestId('count-pending')).toHaveText('20');

  // The tablet restarts the page while still offline: the entries are still there.
  await page.reload();
  await expect(page.getByTestId('ledger')).toHaveAttribute('data-ready', 'true');
  await page.getByTestId('sync-button').click();
  await expect(page.getByTestId('count-pending')).toHaveText('20');
  const ids = await page.getByTestId('entry').evaluateAll((rows) =>
    rows.filter((r) => r.getAttribute('data-sync') === 'pending').map((r) => r.getAttribute('data-client-id')),
  );
  expect(ids).toHaveLength(20);

  await expect(page.getByTestId('sync-state')).toContainText('Offline');
  page.off('request', countPush);
  expect(pushesWhileOffline).toBe(0);

  // Back online: everything is sent.
  await offline(context, false);
  await expect(page.getByTestId('online-badge')).toHaveText('Online');
  await expect(page.getByTestId('count-pending')).toHaveText('0', { timeout: 30_000 });
  await expect(page.locator('[data-testid="entry"][data-sync="pending"]')).toHaveCount(0);

  // The server has each exactly once.
  const login = await request.post('/api/v1/auth/login', { data: { email: 'admin@malar.demo', password: 'mandi-demo' } });
  const token = (await login.json()).data.accessToken;
  for (const id of ids) {
    const r = await request.get(`/api/v1/ledger/entries?clientId=${id}`, { headers: { authorization: `Bearer ${token}` } });
    const body = await r.json();
    expect(body.data, `entry ${id}`).toHaveLength(1);
  }
  expect(problems).toEqual([]);
});

test('two tablets correct one weight offline: both corrections count, and the conflict is shown', async ({ browser }) => {
  const staffContext = await browser.newContext();
  const adminContext = await browser.newContext();
  const staff = await staffContext.newPage();
  const admin = await adminContext.newPage();
  await signIn(staff, 'staff@malar.demo');
  await signIn(admin, 'admin@malar.demo');

  // Staff records 10 kg; both tablets have it.
  await enter(staff, '7', 0, '10');
  // The entry just saved, by its id in the tablet's store rather than by its row's place.
  const id = await staff.evaluate(async () => {
    const { entries } = JSON.parse(await (await import('/ledger/store.js')).snapshot());
    const now = Date.now();
    const mine = entries.filter((e: { quantityKg: string; recordedAt: string }) => e.quantityKg === '10.000' && Math.abs(now - Date.parse(e.recordedAt)) < 60_000);
    mine.sort((a: { recordedAt: string }, b: { recordedAt: string }) => Date.parse(b.recordedAt) - Date.parse(a.recordedAt));
    return mine[0].clientId as string;
  });
  await expect(staff.locator(`[data-testid="entry"][data-client-id="${id}"]`)).toHaveAttribute('data-sync', 'synced', { timeout: 20_000 });
  await admin.getByTestId('sync-button').click();
  await admin.getByTestId('sync-now').click();
  const adminRow = admin.locator(`[data-testid="entry"][data-client-id="${id}"]`);
  await expect(adminRow).toHaveAttribute('data-sync', 'synced', { timeout: 20_000 });

  // Both go offline and correct it: staff to 12, admin to 11.
  await staffContext.setOffline(true);
  await adminContext.setOffline(true);
  const staffRow = staff.locator(`[data-testid="entry"][data-client-id="${id}"]`);
  await staffRow.getByTestId('edit-entry').click();
  await staffRow.getByTestId('edit-quantity').fill('12');
  await staffRow.getByTestId('save-edit').click();
  await expect(staff.locator(`[data-testid="entry"][data-client-id="${id}"]`).getByTestId('entry-kg')).toHaveText('12.000 kg');
  await adminRow.getByTestId('edit-entry').click();
  await adminRow.getByTestId('edit-quantity').fill('11');
  await adminRow.getByTestId('save-edit').click();
  await expect(admin.locator(`[data-testid="entry"][data-client-id="${id}"]`).getByTestId('entry-kg')).toHaveText('11.000 kg');

  // Staff reconnects first, then the admin: the admin's tablet shows the merge.
  await staffContext.setOffline(false);
  await staff.getByTestId('sync-button').click();
  await expect(staff.getByTestId('count-pending')).toHaveText('0', { timeout: 20_000 });
  await adminContext.setOffline(false);
  await expect(admin.getByTestId('count-conflicts')).toHaveText('1', { timeout: 20_000 });
  await expect(admin.getByTestId('conflict-field')).toContainText('was 10.000, yours 11.000, theirs 12.000 → now 13.000');
  await expect(admin.locator(`[data-testid="entry"][data-client-id="${id}"]`).getByTestId('entry-kg')).toHaveText('13.000 kg');
  // The staff tablet receives the merged weight on its next pull.
  await staff.getByTestId('sync-now').click();
  await expect(staff.locator(`[data-testid="entry"][data-client-id="${id}"]`).getByTestId('entry-kg')).toHaveText('13.000 kg', { timeout: 20_000 });
  // Seen: the conflict leaves the panel.
  await admin.getByTestId('keep-merged').click();
  await expect(admin.getByTestId('count-conflicts')).toHaveText('0');
  await staffContext.close();
  await adminContext.close();
});

test('a tablet on an outdated app is asked to reload and keeps its entry until it does', async ({ page }) => {
  await signIn(page, 'staff@malar.demo');
  // This tablet speaks an older sync protocol than the server: the server refuses the push.
  await page.route('**/_fn/ledger/sync', async (route) => {
    const body = JSON.parse(route.request().postData() || '{}');
    body.req.protocolVersion = 0;
    await route.continue({ postData: JSON.stringify(body) });
  });
  await enter(page, '4', 1, '3.75');
  await expect(page.getByTestId('update-ready')).toBeVisible({ timeout: 20_000 });
  await page.getByTestId('sync-button').click();
  await expect(page.getByTestId('count-pending')).toHaveText('1');

  // Reloaded onto the current app, the waiting entry goes through once.
  await page.unroute('**/_fn/ledger/sync');
  await page.reload();
  await expect(page.getByTestId('ledger')).toHaveAttribute('data-ready', 'true');
  await page.getByTestId('sync-button').click();
  await expect(page.getByTestId('count-pending')).toHaveText('0', { timeout: 20_000 });
  await expect(page.getByTestId('update-ready')).toHaveCount(0);
});

test('a long outage: over a thousand changes go out in batches, corrections included, each landing once', async ({ page, context, request }) => {
  test.setTimeout(240_000);
  await signIn(page, 'staff@malar.demo');
  await waitForWorker(page);
  // Two entries made earlier in the morning, already on the server: corrected during
  // the outage, they sit far from the new entries in the tablet's store.
  await enter(page, '31', 0, '1.5');
  await enter(page, '32', 1, '2.5');
  await expect(page.getByTestId('count-pending')).toHaveText('0', { timeout: 30_000 });
  const older = await page.evaluate(async () => {
    const { entries } = JSON.parse(await (await import('/ledger/store.js')).snapshot());
    const now = Date.now();
    const recent = entries.filter((e: { recordedAt: string }) => now - Date.parse(e.recordedAt) < 120_000);
    const pick = (kg: string) => recent.filter((e: { quantityKg: string }) => e.quantityKg === kg).sort((a: { recordedAt: string }, b: { recordedAt: string }) => Date.parse(b.recordedAt) - Date.parse(a.recordedAt))[0];
    return [pick('1.500'), pick('2.500')].map((e) => ({ clientId: e.clientId, farmerId: e.farmerId, flowerTypeId: e.flowerTypeId }));
  });

  // Queued from a second page of the same tablet (no screen redrawing a growing list
  // between a thousand back-to-back saves), through the module the screen uses; any
  // page of the app that is not the ledger will do, a "not found" one here.
  const queuer = await context.newPage();
  await queuer.goto('/ledger-e2e-queue');
  await queuer.evaluate(async () => {
    (globalThis as unknown as { ledgerStore: unknown }).ledgerStore = await import('/ledger/store.js');
  });
  await context.setOffline(true);
  const made = await queuer.evaluate(async (older) => {
    const store = (globalThis as unknown as { ledgerStore: { boot(): Promise<string>; saveEntry(c: string): Promise<string>; syncStatus(): Promise<string> } }).ledgerStore;
    // UUID v7, as the screen makes them.
    const v7 = () => {
      const b = crypto.getRandomValues(new Uint8Array(16));
      const t = BigInt(Date.now());
      for (let i = 0; i < 6; i++) b[i] = Number((t >> BigInt(8 * (5 - i))) & 0xffn);
      b[6] = (b[6] & 0x0f) | 0x70;
      b[8] = (b[8] & 0x3f) | 0x80;
      const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    };
    const boot = JSON.parse(await store.boot());
    const farmers = boot.reference.farmers.filter((f: { farmerNo: number }) => f.farmerNo >= 30).map((f: { id: string }) => f.id);
    const flowers = boot.reference.flowerTypes.map((f: { id: string }) => f.id);
    const ids: string[] = [];
    const update = (e: { clientId: string; farmerId: string; flowerTypeId: string }, kg: string) =>
      store.saveEntry(JSON.stringify({ op: 'update', clientId: e.clientId, local: { quantityKg: kg, status: 'recorded' }, entry: { ...e, quantityKg: kg } }));
    for (let i = 0; i < 1050; i++) {
      const clientId = v7();
      // Dated yesterday at this hour: out of today's list, so the specs running beside
      // this one do not draw a thousand more rows.
      const entry = { clientId, farmerId: farmers[i % farmers.length], flowerTypeId: flowers[i % flowers.length], quantityKg: '1.000', recordedAt: new Date(Date.now() - 86_400_000).toISOString() };
      await store.saveEntry(JSON.stringify({ op: 'create', clientId, local: { ...entry, status: 'recorded', rateSource: 'pending', enteredBy: boot.me.userId }, entry }));
      ids.push(clientId);
      // The fifth entry corrected in the second batch, while its create is in the first.
      if (i === 700) await update({ clientId: ids[4], farmerId: farmers[4 % farmers.length], flowerTypeId: flowers[4 % flowers.length] }, '5.000');
    }
    await update(older[0], '11.500');
    await update(older[1], '12.500');
    return { ids, pending: JSON.parse(await store.syncStatus()).pending };
  }, older);
  await queuer.close();
  expect(made.pending).toBe(1053);

  await context.setOffline(false);
  await page.getByTestId('sync-button').click();
  await page.getByTestId('sync-now').click();
  await expect(page.getByTestId('count-pending')).toHaveText('0', { timeout: 120_000 });
  await expect(page.locator('[data-testid="entry"][data-sync="pending"]')).toHaveCount(0, { timeout: 30_000 });
  // Every change answered and every entry marked synced, the last pull included.
  const localState = () =>
    page.evaluate(async (ids) => {
      const { entries } = JSON.parse(await (await import('/ledger/store.js')).snapshot());
      const byId = new Map(entries.map((e: { clientId: string }) => [e.clientId, e]));
      const mine = ids.map((id: string) => byId.get(id) as { syncStatus: string; quantityKg: string; server: { version: number; quantityKg: string } } | undefined);
      const statuses: Record<string, number> = {};
      for (const e of mine) statuses[e ? e.syncStatus : 'missing'] = (statuses[e ? e.syncStatus : 'missing'] || 0) + 1;
      return { statuses, fifth: mine[4] };
    }, [...made.ids, older[0].clientId, older[1].clientId]);
  await expect.poll(async () => (await localState()).statuses, { timeout: 30_000 }).toEqual({ synced: 1052 });
  const local = await localState();
  expect([local.fifth?.quantityKg, local.fifth?.server.quantityKg, local.fifth?.server.version]).toEqual(['5.000', '5.000', 2]);

  // The server has each once, the corrections applied on top of what it had.
  const login = await request.post('/api/v1/auth/login', { data: { email: 'admin@malar.demo', password: 'mandi-demo' } });
  const token = (await login.json()).data.accessToken;
  const headers = { authorization: `Bearer ${token}` };
  for (const [id, kg, version] of [[older[0].clientId, '11.500', 2], [older[1].clientId, '12.500', 2], [made.ids[4], '5.000', 2], [made.ids[1049], '1.000', 1]] as const) {
    const body = await (await request.get(`/api/v1/ledger/entries?clientId=${id}`, { headers })).json();
    expect(body.data, `entry ${id}`).toHaveLength(1);
    expect([body.data[0].quantityKg, body.data[0].version]).toEqual([kg, version]);
  }
});

test('entries typed while a sync answers the earlier ones: the screen ends holding what the store holds', async ({ page, context }) => {
  await signIn(page, 'staff@malar.demo');
  // Each save is sent 300 ms later, so the answers to earlier entries land, and the screen
  // re-reads the store, while the next ones are being saved.
  for (let i = 0; i < 12; i++) await enter(page, String((i % 4) + 3), i % 2, `${i + 1}.5`);
  // Cut off straight after the last save, so no later answer redraws the screen: it must
  // already hold what the store holds. (A read that a save finished during used to be
  // thrown away with no other asked for, leaving rows and counts stale. And this check's
  // own reads of the store used to take the screen's notice that a sync had marked
  // entries sent, so rows stayed "pending" whenever the check read first.)
  await context.setOffline(true);
  const screen = () =>
    page.evaluate(async () => {
      const { entries, pending } = JSON.parse(await (await import('/ledger/store.js')).snapshot());
      const stored = new Map(entries.map((e: { clientId: string; syncStatus: string }) => [e.clientId, e.syncStatus]));
      const rows = [...document.querySelectorAll('[data-testid="entry"]')];
      const differ = rows.filter((r) => stored.get(r.getAttribute('data-client-id')) !== r.getAttribute('data-sync')).length;
      const shown = document.querySelector('[data-testid="count-pending"]')?.textContent;
      return { differ, rows: rows.length > 0, pending: shown === String(pending) };
    });
  await expect.poll(screen, { timeout: 10_000 }).toEqual({ differ: 0, rows: true, pending: true });
  await context.setOffline(false);
});
