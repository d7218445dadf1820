import { test, expect } from '@playwright/test';
import { signIn } from './ledger-support';

// An admin adds a grower; a bad phone and a taken number are explained beside their fields; a tablet that was
// already open finds the new grower after its next sync, without a reload.

test('a grower added by an admin reaches an open tablet on its next sync', async ({ browser }) => {
  const tabletContext = await browser.newContext();
  const adminContext = await browser.newContext();
  const tablet = await tabletContext.newPage();
  const admin = await adminContext.newPage();
  await signIn(tablet, 'staff@malar.demo', '/ledger');
  await expect(tablet.getByTestId('ledger')).toHaveAttribute('data-ready', 'true');

  await signIn(admin, 'admin@malar.demo', '/ledger/admin/growers');
  const form = admin.getByTestId('grower-form');
  await expect(form).toHaveAttribute('data-hydrated', 'true');
  const name = `Valli ${Date.now() % 100000}`;
  await form.getByLabel('Name in English').fill(name);
  await form.getByLabel('Phone', { exact: true }).fill('98400');
  await form.getByTestId('save').click();
  await expect(form.getByTestId('error-phone')).not.toBeEmpty();
  await expect(form.getByLabel('Phone', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  // A grower number already in use is a conflict, shown beside that field.
  await form.getByLabel('Phone', { exact: true }).fill('+919840055501');
  await form.locator('#admin-farmer_no').fill('1');
  await form.getByTestId('save').click();
  await expect(form.getByTestId('error-farmerNo')).toContainText('already in use');
  await form.locator('#admin-farmer_no').fill('');

  await form.getByLabel('Phone', { exact: true }).fill('+919840055501');
  await form.getByTestId('save').click();
  await expect(admin.getByTestId('grower-row').filter({ hasText: name })).toHaveCount(1);

  // The open tablet: not there yet; after a sync, found by name.
  await tablet.getByTestId('sync-button').click();
  await tablet.getByTestId('sync-now').click();
  await expect(async () => {
    await tablet.getByTestId('farmer-search').fill(name);
    await expect(tablet.getByTestId('farmer-option').first()).toContainText(name, { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await tabletContext.close();
  await adminContext.close();
});
