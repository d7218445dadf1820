import { test, expect } from '@playwright/test';

function freshIdentity() {
  const digits = String(Date.now() % 1_000_000_000).padStart(9, '0') + String(Math.floor(Math.random() * 10));
  const phone = `9${digits.slice(1)}`;
  return { phone, email: `shopper-${phone}@example.com` };
}

test('search, add to cart as a guest, sign up, check out, pay in the sandbox, watch the order move live', async ({ page, request }) => {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(String(err)));

  // A guest finds something in stock and puts it in the cart.
  await page.goto('/search?q=tea&inStock=true');
  await page.locator('a[href^="/products/"]').first().click();
  await expect(page).toHaveURL(/\/products\//);
  const add = page.getByTestId('add-to-cart');
  await expect(add).toHaveAttribute('data-hydrated', 'true');
  await expect(page.getByTestId('variant-picker')).toHaveAttribute('data-hydrated', 'true');
  await add.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByTestId('cart-message')).toContainText('Added · 1 in your cart');

  // Signing up keeps the guest's cart.
  const me = freshIdentity();
  await page.goto('/signup?next=/cart');
  await expect(page.getByTestId('sign-up-form')).toHaveAttribute('data-hydrated', 'true');
  await page.getByLabel('Your name').fill('Meena Shopper');
  await page.getByLabel('E-mail').fill(me.email);
  await page.getByLabel('Phone').fill(me.phone);
  await page.getByLabel('Password').fill('a long enough secret');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/cart$/);
  const cart = page.getByTestId('cart');
  await expect(cart).toHaveAttribute('data-hydrated', 'true');
  await expect(cart.getByTestId('cart-line')).toHaveCount(1);

  // Quantities change in place, without a reload.
  const before = await cart.getByTestId('cart-total').textContent();
  await cart.getByRole('button', { name: /^One more / }).click();
  await expect(cart.getByTestId('line-quantity')).toHaveText('2');
  await expect(cart.getByTestId('cart-total')).not.toHaveText(before!);

  // Checkout: a missing field is named, then the order is placed.
  await cart.getByTestId('go-to-checkout').click();
  await expect(page).toHaveURL(/\/checkout$/);
  const form = page.getByTestId('checkout');
  await expect(form).toHaveAttribute('data-hydrated', 'true');
  await page.getByLabel('PIN code').fill('12');
  await page.getByRole('button', { name: 'Place order and pay' }).click();
  await expect(form.locator('[data-field-error="pincode"]')).toContainText('6-digit PIN code');
  await expect(form.locator('[data-field-error="line1"]')).toContainText('required');
  await page.getByLabel('Address', { exact: true }).fill('12 Lake View Road');
  await page.getByLabel('City').fill('Chennai');
  await page.getByLabel('PIN code').fill('600028');
  await page.getByLabel('State').selectOption('Tamil Nadu');
  await page.getByRole('button', { name: 'Place order and pay' }).click();

  // The sandbox gateway's page; pay.
  await expect(page).toHaveURL(/\/sandbox\/razorpay\/checkout\/order_/);
  await page.getByRole('button', { name: /^Pay ₹/ }).click();

  // Back on the order: paid.
  await expect(page).toHaveURL(/\/orders\/[0-9a-f-]{36}$/);
  const orderId = page.url().split('/').pop()!;
  const tracking = page.getByTestId('tracking');
  await expect(tracking).toHaveAttribute('data-hydrated', 'true');
  await expect(page.getByTestId('order-state')).toHaveAttribute('data-state', 'paid');
  await expect(tracking).toHaveAttribute('data-live', 'true');

  // Staff pack it; the open page shows it without a reload.
  const login = await request.post('/api/v1/auth/login', { data: { email: 'staff@greenharvest.demo', password: 'mandi-demo' } });
  expect(login.ok()).toBeTruthy();
  const auth = { Authorization: `Bearer ${(await login.json()).data.accessToken}` };
  const packed = await request.post(`/api/v1/orders/${orderId}/actions`, { headers: auth, data: { action: 'pack', reason: 'Packed in cold box' } });
  expect(packed.status()).toBe(200);
  await expect(page.getByTestId('order-state')).toHaveAttribute('data-state', 'packed');
  await expect(page.getByTestId('timeline-event').last()).toContainText('Packed in cold box');

  // And the order is in "My orders".
  await page.goto('/orders');
  await expect(page.getByTestId('order-row').first()).toContainText('packed');
  expect(problems).toEqual([]);
});
