import { test, expect } from '@playwright/test';
import { signIn } from './ledger-support';

test.skip(({ isMobile }) => isMobile, 'the back office is a desktop screen');

test('a CSV of 1,000 products is checked, then imported with its progress bar moving', async ({ page }) => {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(String(err)));
  await signIn(page, 'staff@greenharvest.demo', '/admin/catalog/import');

  // A Shopify-shaped export: 1,000 products of one new type, from one of the store's farms.
  const farms = await (await page.request.get('/api/v1/farms')).json();
  const vendor = farms.data[0].name as string;
  const run = Date.now();
  const header =
    'Handle,Title,Body (HTML),Vendor,Type,Tags,Published,Option1 Name,Option1 Value,Variant SKU,Variant Grams,Variant Inventory Qty,Variant Price,Variant Compare At Price,Image Src,Status';
  const rows = Array.from({ length: 1000 }, (_, i) =>
    [`bulk-${run}-${i}`, `Bulk pickle ${run} ${i}`, `"<p>Batch ${i}, hand made</p>"`, `"${vendor}"`, `Pickles ${run}`, '', 'TRUE', 'Size', '200 g',
      `BULK-${run}-${i}`, '200', '12', `${50 + (i % 50)}.00`, '', '', 'active'].join(','),
  );
  const csv = [header, ...rows].join('\n') + '\n';

  const upload = page.getByTestId('csv-upload');
  await expect(upload).toHaveAttribute('data-ready', 'true');
  await upload.locator('input[type=file]').setInputFiles({ name: 'pickles.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await upload.getByRole('button', { name: 'Upload and check' }).click();
  await expect(page).toHaveURL(/\/admin\/catalog\/imports\/[0-9a-f-]{36}$/);

  // The dry run: nothing changes yet.
  const imported = page.getByTestId('import');
  await expect(imported).toHaveAttribute('data-status', 'checked', { timeout: 30_000 });
  await expect(page.getByTestId('import-state')).toContainText('1000 new and 0 changed products with 1000 packs');
  expect((await (await page.request.get(`/api/v1/products?q=${encodeURIComponent(`Bulk pickle ${run} 999`)}`)).json()).data).toEqual([]);

  // The import: the bar is sampled every frame while the job reports its chunks.
  await expect(imported).toHaveAttribute('data-live', 'true');
  await page.evaluate(() => {
    const w = window as unknown as { seen: string[] };
    w.seen = [];
    const sample = () => {
      const bar = document.querySelector('[data-testid="import-progress"]') as HTMLProgressElement | null;
      const state = document.querySelector('[data-testid="import-state"]')?.textContent ?? '';
      if (bar && !bar.hidden) w.seen.push(`${bar.value}|${state}`);
      requestAnimationFrame(sample);
    };
    requestAnimationFrame(sample);
  });
  await page.getByTestId('import-commit').click();
  await expect(imported).toHaveAttribute('data-status', 'imported', { timeout: 60_000 });
  await expect(page.getByTestId('import-state')).toContainText('Imported: 1000 new and 0 changed products, 1000 packs.');
  const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
  const moving = seen.filter((s) => {
    const [value, state] = s.split('|');
    return Number(value) > 0 && Number(value) < 100 && state.startsWith('Importing:');
  });
  expect(moving.length, `samples: ${seen.slice(0, 20).join(' / ')}`).toBeGreaterThan(0);

  // The products are on the shelves.
  const found = await (await page.request.get(`/api/v1/products?q=${encodeURIComponent(`Bulk pickle ${run} 999`)}`)).json();
  expect(found.data.some((p: { slug: string }) => p.slug === `bulk-${run}-999`)).toBe(true);
  expect(problems).toEqual([]);
});
