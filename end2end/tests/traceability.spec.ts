import { test, expect, type Page, type Locator } from '@playwright/test';
import { signIn } from './ledger-support';

// A shopper holding a packet follows its lot to the public trace page on a phone and
// sees the verified history and its temperatures; staff record a warm reading on the
// lot's screen (the page then says the lot left its cold chain) and print its labels.

async function loaded(image: Locator) {
  await expect(image).toBeVisible();
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
}

/** The phone's clock ten minutes ago, as a form's local time in India. */
function tenMinutesAgoIst(): string {
  const at = new Date(Date.now() - 10 * 60_000 + 330 * 60_000);
  return at.toISOString().slice(0, 16);
}

async function traceFromProduct(page: Page): Promise<string> {
  await page.goto('/products/heirloom-tomatoes');
  const panel = page.getByTestId('provenance');
  const code = (await panel.getByTestId('batch-code').first().innerText()).trim();
  await panel.getByTestId('trace-link').first().click();
  await expect(page).toHaveURL(new RegExp(`/trace/${code}$`));
  return code;
}

test('a packet\'s lot shows its verified history and temperatures on a phone', async ({ page }, info) => {
  test.skip(info.project.name !== 'phone', 'the trace page is what a phone opens from a label');
  await traceFromProduct(page);
  const verdict = page.getByTestId('chain-state');
  await expect(verdict).toHaveAttribute('data-status', 'intact');
  await expect(verdict).toContainText('Verified: all');
  await expect(page.getByTestId('history').locator('li').first()).toBeVisible();
  await loaded(page.getByTestId('trace-qr'));
  const chart = page.getByTestId('temperature-chart');
  await chart.scrollIntoViewIfNeeded();
  await loaded(chart);
  await expect(chart).toHaveAttribute('alt', /°C/);
});

test('staff record a warm reading, the lot says so, and its labels print', async ({ page }, info) => {
  test.skip(info.project.name !== 'phone', 'one run is enough: it records on the shared demo lot');
  const code = await traceFromProduct(page);
  await signIn(page, 'staff@greenharvest.demo', `/admin/batches?q=${code}`);
  await page.getByTestId('batch-list').getByRole('link', { name: code }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/batches/${code}$`));
  const form = page.getByTestId('event-form');
  await expect(form).toHaveAttribute('data-hydrated', 'true');
  const before = await page.getByTestId('history').locator('li').count();

  // A Fahrenheit figure by mistake is refused beside its field; nothing is recorded.
  await form.getByLabel('What happened').selectOption('temperature_reading');
  await form.getByLabel('When').fill(tenMinutesAgoIst());
  await form.getByLabel('Temperature (°C)').fill('104');
  await form.getByRole('button', { name: 'Record' }).click();
  await expect(form.locator('[data-field-error="temperatureC"]')).toContainText('°F');

  await form.getByLabel('Temperature (°C)').fill('11.5');
  await form.getByLabel('Where').fill('Reefer truck, Mettupalayam');
  await form.getByRole('button', { name: 'Record' }).click();
  await expect(page.getByTestId('history').locator('li')).toHaveCount(before + 1);
  await expect(page.getByTestId('history')).toContainText('outside the cold chain');
  await expect(page.getByTestId('chain-state')).toHaveAttribute('data-status', 'intact');

  await page.goto(`/trace/${code}`);
  await expect(page.getByTestId('excursion')).toContainText('left its cold chain');

  await page.goto(`/admin/batches/${code}`);
  await page.getByTestId('labels-link').click();
  await expect(page).toHaveURL(new RegExp(`/admin/batches/${code}/labels$`));
  const labels = page.getByTestId('label');
  await expect(labels).toHaveCount(24);
  await expect(labels.first()).toContainText(code);
  await expect(labels.first()).toContainText('Heirloom Tomatoes');
  await loaded(labels.first().locator('img'));
});
