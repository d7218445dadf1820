import { test, expect } from '@playwright/test';
import { demoDay, signIn } from './ledger-support';

// The ledger in Tamil: the switch changes the screen and is remembered; Tamil text is
// drawn with the shipped font; a settlement slip prints in the grower's language.

test('the ledger switches to Tamil, keeps it, and draws it with the Tamil font', async ({ page }) => {
  await signIn(page, 'staff@malar.demo', '/ledger', false);
  const ledger = page.getByTestId('ledger');
  await expect(ledger).toHaveAttribute('data-ready', 'true');
  // The demo staff member reads Tamil; make the starting point English either way.
  if ((await ledger.getAttribute('data-lang')) === 'ta') await page.getByTestId('switch-language').click();
  await expect(ledger).toHaveAttribute('data-lang', 'en');
  await expect(page.getByTestId('save-entry')).toHaveText('Save entry');

  await page.getByTestId('switch-language').click();
  await expect(ledger).toHaveAttribute('data-lang', 'ta');
  await expect(page.getByTestId('save-entry')).toHaveText('பதிவைச் சேமி');
  await expect(page.getByRole('heading', { name: 'இன்றைய பதிவுகள்' })).toBeVisible();
  await expect(page.getByTestId('online-badge')).toHaveText('இணைப்பில்');
  await expect(page.getByTestId('flower-option').first().locator('xpath=..')).toContainText('மல்லி');
  // A bad weight is explained in Tamil.
  await page.getByTestId('quantity').fill('0');
  await page.getByTestId('save-entry').click();
  await expect(page.locator('[data-field-error="quantity"]')).toContainText('பூஜ்ஜியத்துக்கு');

  // The shipped font draws it (not a fallback with missing glyphs).
  await page.evaluate(() => document.fonts.load('16px "Noto Sans Tamil"', 'மல்லி'));
  expect(await page.evaluate(() => document.fonts.check('16px "Noto Sans Tamil"', 'மல்லி'))).toBe(true);

  // Remembered across a reload.
  await page.reload();
  await expect(ledger).toHaveAttribute('data-ready', 'true');
  await expect(ledger).toHaveAttribute('data-lang', 'ta');
  await page.getByTestId('switch-language').click();
  await expect(ledger).toHaveAttribute('data-lang', 'en');
});

test('a settlement slip prints in Tamil for a Tamil-speaking grower', async ({ page, request }) => {
  // Only grower no. 1 is settled: other tests work with the other growers' entries.
  const login = await request.post('/api/v1/auth/login', { data: { email: 'admin@malar.demo', password: 'mandi-demo' } });
  const token = (await login.json()).data.accessToken;
  const reference = await (await request.get('/api/v1/ledger/reference', { headers: { authorization: `Bearer ${token}` } })).json();
  const murugan = reference.data.farmers.find((f: { farmerNo: number }) => f.farmerNo === 1);
  await signIn(page, 'admin@malar.demo', '/ledger/settlements');
  const form = page.getByTestId('generate-form');
  await expect(form).toHaveAttribute('data-hydrated', 'true');
  // The demo's morning of entries.
  const today = demoDay();
  await form.locator('input[name="from"]').fill(today);
  await form.locator('input[name="to"]').fill(today);
  await form.locator('input[name="farmer_id"]').fill(murugan.id);
  await form.getByRole('button').click();
  await expect(page.getByTestId('settlement-row').first()).toBeVisible();
  // Grower no. 1 (Murugan, who reads Tamil).
  await page.getByTestId('settlement-row').filter({ hasText: /^\s*S-\d{4}-\d{6}\s*1 · / }).first().getByRole('link').click();
  await expect(page.getByTestId('slip')).toHaveAttribute('data-lang', 'ta');
  await expect(page.getByTestId('slip')).toContainText('நிகரத் தொகை');

  await page.getByTestId('print-link').click();
  await expect(page.getByTestId('print-slip')).toBeVisible();
  await page.emulateMedia({ media: 'print' });
  await expect(page.getByTestId('slip')).toContainText('நிகரத் தொகை');
  await expect(page.getByTestId('slip')).toContainText('மல்லி');
  const pdf = await page.pdf({ format: 'A5', preferCSSPageSize: true });
  expect(pdf.byteLength).toBeGreaterThan(5_000);
});
