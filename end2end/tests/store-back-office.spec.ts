import { test, expect, type Browser, type Page } from '@playwright/test';
import { signIn } from './ledger-support';

// Staff work the queue on a desktop or tablet; the shopper's side is covered on phones
// by checkout.spec.ts.
test.skip(({ isMobile }) => isMobile, 'the back office is a desktop screen');

async function person(browser: Browser, email: string, next: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: process.env.BASE_URL ?? 'http://127.0.0.1:3000' });
  const page = await context.newPage();
  await signIn(page, email, next);
  return page;
}

function istToday(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Kolkata' }).format(new Date());
}

// A small JPEG drawn by the browser, as a phone would send one.
async function jpeg(page: Page): Promise<Buffer> {
  const data = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 64;
    c.height = 48;
    const g = c.getContext('2d')!;
    g.fillStyle = '#c98a1b';
    g.fillRect(0, 0, 64, 48);
    return c.toDataURL('image/jpeg').split(',')[1];
  });
  return Buffer.from(data, 'base64');
}

test('staff add a product with a picture and stock; a shopper buys it; staff pack and ship it from the live queue while the shopper watches; a refund asked for and paid in two parts', async ({ page, browser }) => {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(String(err)));

  // Staff add a product from the header's catalogue link: a draft, then a pack, a
  // picture and stock received as a new lot, then published.
  const staff = await person(browser, 'staff@greenharvest.demo', '/');
  await staff.getByTestId('catalogue-link').click();
  await expect(staff).toHaveURL(/\/admin\/catalog$/);
  await staff.getByTestId('new-product').click();
  const form = staff.getByTestId('product-form');
  await expect(form).toHaveAttribute('data-hydrated', 'true');
  const name = `Kotagiri wild honey ${Date.now()}`;
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByLabel('Description').fill('<p>Raw <b>honey</b> from the Nilgiris</p><script>alert(1)</script>');
  await form.getByLabel('Category').selectOption({ index: 1 });
  await form.getByLabel('Farm').selectOption({ index: 1 });
  await form.getByRole('button', { name: 'Create product' }).click();
  await expect(staff).toHaveURL(/\/admin\/catalog\/[0-9a-f-]{36}$/);
  const productUrl = new URL(staff.url()).pathname;

  const addPack = staff.getByTestId('add-pack');
  await expect(addPack).toHaveAttribute('data-hydrated', 'true');
  await addPack.getByLabel('Label', { exact: true }).fill('250 g');
  await addPack.getByLabel('SKU', { exact: true }).fill(`HNY-${Date.now()}`);
  await addPack.getByLabel('Price (₹)', { exact: true }).fill('-5');
  await addPack.getByLabel('Weight (g)', { exact: true }).fill('250');
  await addPack.getByRole('button', { name: 'Add pack' }).click();
  await expect(addPack.locator('[data-field-error="price"]')).toHaveText('must be above zero');
  await addPack.getByLabel('Price (₹)', { exact: true }).fill('120.00');
  await addPack.getByRole('button', { name: 'Add pack' }).click();
  const pack = staff.getByTestId('pack');
  await expect(pack).toHaveCount(1);
  await expect(pack).toHaveAttribute('data-hydrated', 'true');

  const upload = staff.getByTestId('picture-upload');
  await expect(upload).toHaveAttribute('data-ready', 'true');
  await upload.locator('input[type=file]').setInputFiles({ name: 'not-a-photo.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(4096, 120) });
  await upload.getByRole('button', { name: 'Upload' }).click();
  await expect(upload.locator('[data-upload-error]')).toContainText('Not uploaded');
  await upload.locator('input[type=file]').setInputFiles({ name: 'honey.jpg', mimeType: 'image/jpeg', buffer: await jpeg(staff) });
  await upload.getByRole('button', { name: 'Upload' }).click();
  await expect(staff.getByTestId('product-image')).toHaveCount(1);

  await expect(pack).toHaveAttribute('data-hydrated', 'true');
  await pack.getByLabel('Received (packs)').fill('20');
  await pack.getByLabel('Harvested on').fill(istToday());
  await pack.getByRole('button', { name: 'Receive as a new lot' }).click();
  await expect(staff.getByTestId('pack-stock')).toContainText('20 unit on hand · selling lot LOT-');

  await expect(staff.getByTestId('product-form')).toHaveAttribute('data-hydrated', 'true');
  await staff.getByTestId('product-form').getByLabel('Status').selectOption('published');
  await staff.getByRole('button', { name: 'Save product' }).click();
  await expect(staff.getByTestId('product-status')).toHaveText('published');

  // The shopper finds it by search, with its picture, and puts two packs in the cart;
  // the header counts them.
  await signIn(page, 'customer@greenharvest.demo', `/search?q=${encodeURIComponent(name)}`);
  await expect(page.getByTestId('orders-link')).toBeVisible();
  await expect(page.locator('img[src^="/catalog/images/"]').first()).toBeVisible();
  await page.locator('a[href^="/products/"]', { hasText: name }).first().click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
  await expect(page.locator('.product-description b')).toHaveText('honey');
  const add = page.getByTestId('add-to-cart');
  await expect(add).toHaveAttribute('data-hydrated', 'true');
  await add.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByTestId('cart-message')).toContainText('Added');
  await add.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByTestId('cart-message')).toContainText('Added · 2 in your cart');
  const before = Number(await page.getByTestId('cart-count').textContent());
  expect(before).toBeGreaterThanOrEqual(2);

  await page.goto('/checkout');
  await expect(page.getByTestId('checkout')).toHaveAttribute('data-hydrated', 'true');
  await page.getByLabel('Address', { exact: true }).fill('12 Lake View Road');
  await page.getByLabel('City').fill('Chennai');
  await page.getByLabel('PIN code').fill('600028');
  await page.getByLabel('State').selectOption('Tamil Nadu');
  await page.getByRole('button', { name: 'Place order and pay' }).click();
  await expect(page).toHaveURL(/\/sandbox\/razorpay\/checkout\/order_/);
  await page.getByRole('button', { name: /^Pay ₹/ }).click();
  await expect(page).toHaveURL(/\/orders\/[0-9a-f-]{36}$/);
  const orderUrl = new URL(page.url()).pathname;
  const number = (await page.getByRole('heading', { level: 1 }).textContent())!.replace(/\D/g, '');
  await expect(page.getByTestId('tracking')).toHaveAttribute('data-live', 'true');
  await expect(page.getByTestId('order-state')).toHaveAttribute('data-state', 'paid');

  // Staff find it from the header, in the live queue, and pack then ship it.
  await staff.goto('/');
  await staff.getByTestId('store-orders-link').click();
  await expect(staff).toHaveURL(/\/admin\/orders$/);
  const queue = staff.getByTestId('order-queue');
  await expect(queue).toHaveAttribute('data-live', 'true');
  const row = queue.locator(`[data-testid="queue-row"][data-number="${number}"]`);
  await expect(row).toHaveAttribute('data-state', 'paid');
  await row.getByLabel(`Select order ${number}`).check();
  await queue.getByRole('button', { name: 'Mark packed' }).click();
  await expect(staff.getByTestId('bulk-report')).toHaveText('1 order updated');
  await expect(row).toHaveAttribute('data-state', 'packed');
  await expect(page.getByTestId('order-state')).toHaveAttribute('data-state', 'packed');
  await row.getByLabel(`Select order ${number}`).check();
  await queue.getByRole('button', { name: 'Mark shipped' }).click();
  await expect(page.getByTestId('order-state')).toHaveAttribute('data-state', 'shipped');
  await expect(row).toHaveAttribute('data-state', 'shipped');
  // Filtering by the order's number finds it alone.
  await staff.getByLabel('Order number or phone').fill(number);
  await staff.getByRole('button', { name: 'Filter' }).click();
  await expect(staff.getByTestId('queue-row')).toHaveCount(1);
  await staff.goto(orderUrl);
  await expect(staff.getByTestId('tracking')).toHaveAttribute('data-hydrated', 'true');
  await staff.getByRole('button', { name: 'Out for delivery' }).click();
  await expect(page.getByTestId('order-state')).toHaveAttribute('data-state', 'out_for_delivery');
  await staff.getByRole('button', { name: 'Mark delivered' }).click();
  await expect(page.getByTestId('order-state')).toHaveAttribute('data-state', 'delivered');

  // The shopper asks for one pack back.
  await page.reload();
  const panel = page.getByTestId('refund-panel');
  await expect(panel).toHaveAttribute('data-hydrated', 'true');
  await panel.getByRole('button', { name: 'Request a refund' }).click();
  await expect(page.getByTestId('refund-error')).toContainText('choose at least one item');
  await panel.getByTestId('return-quantity').first().fill('1');
  await panel.getByTestId('refund-reason').fill('One pack arrived torn');
  await panel.getByRole('button', { name: 'Request a refund' }).click();
  await expect(page.getByTestId('refund-request')).toHaveAttribute('data-status', 'requested');
  await expect(page.getByTestId('order-state')).toHaveAttribute('data-state', 'refund_requested');

  // An admin approves part of it, then refunds a little more.
  const admin = await person(browser, 'admin@greenharvest.demo', orderUrl);
  const decide = admin.getByTestId('refund-panel');
  await expect(decide).toHaveAttribute('data-hydrated', 'true');
  await expect(decide.getByTestId('open-request')).toContainText('One pack arrived torn');
  await decide.getByTestId('refund-amount').fill('50.00');
  await decide.getByTestId('refund-reason').fill('Half of the torn pack');
  await decide.getByRole('button', { name: 'Approve refund' }).click();
  await expect(admin.getByTestId('refund')).toHaveCount(1);
  await expect(admin.getByTestId('order-state')).toHaveAttribute('data-state', 'delivered');
  await expect(admin.getByTestId('refund-panel')).toHaveAttribute('data-hydrated', 'true');
  await admin.getByTestId('refund-amount').fill('25.50');
  await admin.getByTestId('refund-reason').fill('Delivery was late');
  await admin.getByRole('button', { name: 'Refund', exact: true }).click();
  await expect(admin.getByTestId('refund')).toHaveCount(2);
  await expect(admin.getByTestId('refunded-total')).toHaveText('₹75.50');

  // The shopper sees both refunds, paid back, and the total they add up to.
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId('refund').and(page.locator('[data-status="processed"]'))).toHaveCount(2, { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  await expect(page.getByTestId('refunded-total')).toHaveText('₹75.50');
  await expect(page.getByTestId('refund-request')).toHaveAttribute('data-status', 'approved');
  await staff.goto(productUrl);
  await expect(staff.getByTestId('pack-stock')).toContainText('18 unit on hand');
  expect(problems).toEqual([]);
});
