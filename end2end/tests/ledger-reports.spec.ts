import { test, expect } from '@playwright/test';
import { demoDay, signIn } from './ledger-support';

// The ledger's reports in the browser: the flower-wise summary draws its chart in the
// reader's language, the question stays in the URL, and a grower sees only their own.

test('the flower-wise summary draws its chart from the table, in English and in Tamil', async ({ page, context }) => {
  const day = demoDay();
  await signIn(page, 'admin@malar.demo', `/ledger/reports/flowers?from=${day}&to=${day}`);
  const chart = page.getByTestId('flower-chart');
  await expect(chart.locator('svg')).toBeVisible();
  const rows = page.getByTestId('flower-row');
  expect(await rows.count()).toBeGreaterThan(0);
  await expect(chart).toContainText(/Jasmine/);
  // Every flower in the table is a bar label in the chart.
  for (const name of await rows.locator('td:first-child').allTextContents()) await expect(chart).toContainText(name.trim());

  // The period is in the URL: a shared link shows the same report.
  const dayBefore = demoDay(new Date(Date.now() - 24 * 3600_000));
  await page.locator('input[name="from"]').fill(dayBefore);
  await page.locator('input[name="to"]').fill(day);
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(new RegExp(`from=${dayBefore}&to=${day}`));
  await expect(page.getByTestId('flower-total')).toBeVisible();

  await context.addCookies([{ name: 'mandi_lang', value: 'ta', url: page.url() }]);
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('பூ வாரியான சுருக்கம்');
  await expect(chart).toContainText('மல்லி');

  // A period that ends before it starts is explained, not an error page.
  await page.goto('/ledger/reports/flowers?from=2026-03-01&to=2026-02-01');
  await expect(page.getByTestId('report-error')).toBeVisible();
});

test('a grower reads only their own day book and statement', async ({ page }) => {
  await signIn(page, 'farmer@malar.demo', `/ledger/reports/day-book?date=${demoDay()}`);
  await expect(page.getByTestId('grower-row')).toHaveCount(1);
  await expect(page.getByTestId('grower-row')).toContainText(/^\s*1 · /);
  await page.getByTestId('grower-row').getByRole('link').click();
  await expect(page.getByTestId('statement-grower')).toContainText(/^\s*1 · /);
  // Someone else's number is not there for them.
  await page.goto('/ledger/reports/statement?farmer=2');
  await expect(page.getByTestId('statement')).toHaveCount(0);
});
