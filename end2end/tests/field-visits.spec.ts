import { test, expect, type Page } from '@playwright/test';
import { signIn } from './ledger-support';

// A field agent on a tea estate with no signal: the field app opens from the phone,
// takes a visit with a photo from the camera, keeps it across a reload, and sends it
// (the photo by resumable upload) when the signal returns; the farm's owner then sees
// the visit and its photo on the farm's page.

async function ready(page: Page) {
  await expect(page.getByTestId('field-app')).toHaveAttribute('data-ready', 'true');
}

async function waitForWorker(page: Page) {
  await expect
    .poll(() =>
      page.evaluate(async () => {
        const reg = await navigator.serviceWorker.getRegistration('/field');
        return !!(reg && reg.active && reg.active.state === 'activated');
      }),
    )
    .toBe(true);
}

/** A photo as a phone camera makes it: a JPEG, drawn in the page. */
async function cameraPhoto(page: Page): Promise<Buffer> {
  const dataUrl = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 900;
    canvas.height = 600;
    const g = canvas.getContext('2d')!;
    const sky = g.createLinearGradient(0, 0, 0, 600);
    sky.addColorStop(0, '#9bd1f0');
    sky.addColorStop(1, '#2f7d32');
    g.fillStyle = sky;
    g.fillRect(0, 0, 900, 600);
    for (let i = 0; i < 400; i++) {
      g.fillStyle = `hsl(${90 + (i % 40)}, 60%, ${25 + (i % 30)}%)`;
      g.beginPath();
      g.ellipse((i * 37) % 900, 300 + ((i * 53) % 300), 18, 8, i, 0, Math.PI * 2);
      g.fill();
    }
    return canvas.toDataURL('image/jpeg', 0.9);
  });
  return Buffer.from(dataUrl.split(',')[1], 'base64');
}

test('a visit recorded offline with a photo reaches the owner once the signal returns', async ({ page, context, browser, request }, info) => {
  test.skip(info.project.name !== 'phone', 'the field app is for phones');
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(String(err)));

  const login = await request.post('/api/v1/auth/login', { data: { email: 'customer@darjberry.demo', password: 'mandi-demo' } });
  const ownerToken = (await login.json()).data.accessToken;
  const farms = await request.get('/api/v1/me/farms', { headers: { authorization: `Bearer ${ownerToken}` } });
  const farm = (await farms.json()).data[0];

  await signIn(page, 'field_agent@darjberry.demo', '/field');
  await ready(page);
  await expect(page.getByLabel('Farm').locator(`option[value="${farm.slug}"]`)).toHaveCount(1);
  await waitForWorker(page);
  // A controlled reload: from now on the worker serves the shell.
  await page.reload();
  await ready(page);
  const photo = await cameraPhoto(page);

  await context.setOffline(true);
  // No network at all: the app opens from the phone, with the day it kept.
  await page.reload();
  await ready(page);
  await expect(page.getByTestId('field-status')).toContainText('Offline');
  await page.getByLabel('Farm').selectOption(farm.slug);
  const notes = `Blister blight on the lower terrace, ${Date.now()}`;
  await page.getByLabel('Notes').fill(notes);
  await page.getByLabel('Temperature (°C)').fill('24.5');
  await page.getByLabel('Photos').setInputFiles({ name: 'IMG_2041.jpg', mimeType: 'image/jpeg', buffer: photo });
  await page.getByTestId('visit-save').click();
  await expect(page.getByTestId('visit-saved')).toHaveText('Visit saved with 1 photo');
  const saved = page.getByTestId('outbox-visit').filter({ hasText: farm.name }).first();
  await expect(saved).toHaveAttribute('data-status', 'waiting');
  await expect(page.getByTestId('field-status')).toHaveText('Offline · 2 waiting');

  // Still offline, the phone restarts the app: the visit and its photo are still there.
  await page.reload();
  await ready(page);
  const kept = page.getByTestId('outbox-visit').first();
  await expect(kept).toHaveAttribute('data-status', 'waiting');
  await expect(kept.getByTestId('outbox-photo')).toHaveAttribute('data-status', 'waiting');

  // The signal returns: the visit is sent, then its photo.
  await context.setOffline(false);
  await expect(kept).toHaveAttribute('data-status', 'sent', { timeout: 20_000 });
  await expect(kept.getByTestId('outbox-photo')).toHaveAttribute('data-status', 'sent', { timeout: 20_000 });
  await expect(page.getByTestId('field-status')).toHaveText('Online');
  expect(problems).toEqual([]);

  // The owner, on their own phone, sees the visit and its photo.
  const ownerContext = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, baseURL: process.env.BASE_URL ?? 'http://127.0.0.1:3000' });
  const owner = await ownerContext.newPage();
  await signIn(owner, 'customer@darjberry.demo', `/my/farms/${farm.slug}`);
  const visit = owner.getByTestId('visit').filter({ hasText: notes });
  await expect(visit).toHaveCount(1);
  const img = visit.getByTestId('visit-photo');
  await expect(img).toHaveCount(1);
  await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).toBeGreaterThan(0);
  const full = await owner.request.get(await visit.locator('a').first().getAttribute('href') as string);
  expect(full.status()).toBe(200);
  expect(full.headers()['content-type']).toBe('image/jpeg');
  await ownerContext.close();
});
