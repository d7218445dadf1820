import { test, expect, type Page } from '@playwright/test';
import { signIn } from './ledger-support';
import { pdfText } from './support/pdf-text';

// A farm owner on a phone: their farms, a farm's score with its breakdown and chart,
// and a statement downloaded as a PDF whose text is read back. The estate's admin
// previews and approves a distribution whose payouts add up to the paisa.

// A demo owner whose language is Tamil (server/src/demo/ownership.rs: every fourth from the third; this one holds Badamtam).
const TAMIL_OWNER = 'owner07@darjberry.demo';

async function downloadFirstStatement(page: Page): Promise<string> {
  // The first of the owner's farms that has a statement (a share bought last month has
  // none yet).
  const farms = await page.getByTestId('owned-farm').getByRole('link', { name: /Open farm|பண்ணையைத் திற/ }).evaluateAll(
    (links) => links.map((a) => (a as HTMLAnchorElement).getAttribute('href')!),
  );
  for (const farm of farms) {
    await page.goto(farm);
    await expect(page.getByTestId('health-score')).toBeVisible();
    if ((await page.getByTestId('statement-pdf').count()) > 0) break;
  }
  // Chromium raises no download event under phone emulation, so the link is fetched
  // as the phone's browser would: same session cookies, and the answer must be an
  // attachment.
  const href = await page.getByTestId('statement-pdf').first().getAttribute('href');
  const response = await page.request.get(href!);
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toBe('application/pdf');
  expect(response.headers()['content-disposition']).toContain('attachment');
  return pdfText(await response.body());
}

test('an owner sees their farms, a farm\'s health and downloads a statement', async ({ page }, info) => {
  test.skip(info.project.name !== 'phone', 'the owners\' pages are phone first');
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(String(err)));
  await signIn(page, 'customer@darjberry.demo', '/my/farms');
  await expect(page.getByTestId('owned-farm')).toHaveCount(2);
  await expect(page.getByTestId('health-breakdown').first()).toContainText('Plant survival');
  await expect(page.getByTestId('health-trend').first().locator('svg')).toBeVisible();

  const text = await downloadFirstStatement(page);
  await expect(page.getByTestId('farm-name')).toBeVisible();
  await expect(page.getByTestId('plants')).toBeVisible();
  // The demo's field agent visits every farm weekly; nothing is wrong on the estate.
  await expect(page.getByTestId('visit').first()).toBeVisible();
  await expect(page.getByTestId('alerts-none')).toBeVisible();
  expect(text).toContain('Revenue statement');
  expect(text).toContain('Sneha Kapoor');
  expect(text).toMatch(/Net payout\s*₹[\d,]+\.\d\d/);
  expect(problems).toEqual([]);
});

test('a Tamil-speaking owner\'s statement is in Tamil, in the PDF too', async ({ page }, info) => {
  test.skip(info.project.name !== 'phone', 'the owners\' pages are phone first');
  await signIn(page, TAMIL_OWNER, '/my/farms');
  const text = await downloadFirstStatement(page);
  expect(text).toContain('வருவாய் அறிக்கை');
  expect(text).toContain('நிகர வழங்கல்');
});

test('the estate admin previews and approves a distribution that adds up to the paisa', async ({ page }, info) => {
  test.skip(info.project.name !== 'phone', 'one approval per run of the suite');
  await signIn(page, 'admin@darjberry.demo', '/admin/distributions');
  const form = page.getByTestId('preview-form');
  await expect(form).toHaveAttribute('data-hydrated', 'true');
  // The demo distributed the last three months; the fourth back is still open.
  const month = monthsBack(4);
  await page.getByLabel('Month (YYYY-MM)').fill(month);
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect(page).toHaveURL(/\/admin\/distributions\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('run-status')).toHaveText('Preview');
  const distributable = await page.getByTestId('distributable').innerText();
  await expect(page.getByTestId('total-gross')).toHaveText(distributable);

  await expect(page.getByTestId('approve-form')).toHaveAttribute('data-hydrated', 'true');
  await page.getByRole('button', { name: 'Approve and create payouts' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('Approved');
  await expect(page.getByTestId('total-gross')).toHaveText(distributable);
  const shares = await page.getByTestId('payout-gross').allInnerTexts();
  expect(shares.length).toBeGreaterThan(0);
  const paise = shares.map((s) => Number(s.replace(/[₹,]/g, '').replace('.', ''))).reduce((a, b) => a + b, 0);
  expect(paise).toBe(Number(distributable.replace(/[₹,]/g, '').replace('.', '')));
});

// `YYYY-MM` of the month `n` months before this one, in India.
function monthsBack(n: number): string {
  const [y, m] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Kolkata' }).format(new Date()).split('-').map(Number);
  const index = y * 12 + (m - 1) - n;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}
