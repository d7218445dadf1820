import { test, expect } from '@playwright/test';

// A phone and e-mail no other run (or the other viewport's run) uses.
function freshIdentity() {
  const digits = String(Date.now() % 1_000_000_000).padStart(9, '0') + String(Math.floor(Math.random() * 10));
  const phone = `9${digits.slice(1)}`;
  return { phone, e164: `+91${phone}`, email: `e2e-${phone}@example.com` };
}

test('sign up, sign in with a code from the outbox, refresh silently, sign out', async ({ page, context }) => {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(String(err)));
  const me = freshIdentity();

  // Sign up: field errors first, then a real account.
  await page.goto('/signup');
  const signUp = page.getByTestId('sign-up-form');
  await expect(signUp).toHaveAttribute('data-hydrated', 'true');
  await page.getByLabel('Your name').fill('Asha Test');
  await page.getByLabel('E-mail').fill('not-an-email');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(signUp.locator('[data-field-error="email"]')).toContainText('e-mail address');
  await expect(signUp.locator('[data-field-error="password"]')).toContainText('at least 8');

  await page.getByLabel('E-mail').fill(me.email);
  await page.getByLabel('Phone').fill(me.phone);
  await page.getByLabel('Password').fill('a long enough secret');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('account-name')).toHaveText('Asha Test');
  await expect(page.getByTestId('current-roles')).toHaveText('customer');

  // Sign out, then back in with a one-time code read from the development outbox.
  await expect(page.getByTestId('session-buttons')).toHaveAttribute('data-hydrated', 'true');
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('sign-in-link')).toBeVisible();

  await page.goto('/login');
  const codeForm = page.getByTestId('code-sign-in');
  await expect(codeForm).toHaveAttribute('data-hydrated', 'true');
  await page.getByLabel('Phone number').fill(me.phone);
  await page.getByRole('button', { name: 'Send me a code' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Code sent' })).toBeVisible();

  const outbox = await context.newPage();
  await outbox.goto(`/dev/outbox?to=${encodeURIComponent(me.e164)}`);
  const body = await outbox.getByTestId('outbox-body').first().textContent();
  const code = body?.match(/\b(\d{6})\b/)?.[1];
  expect(code, `a code in "${body}"`).toBeTruthy();
  await outbox.close();

  await page.getByLabel('6-digit code').fill(code === '000000' ? '111111' : '000000');
  await page.getByRole('button', { name: 'Sign in with code' }).click();
  await expect(codeForm.locator('[data-field-error="code"]')).toHaveText('The code is wrong or has expired');
  await page.getByLabel('6-digit code').fill(code!);
  await page.getByRole('button', { name: 'Sign in with code' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('account-name')).toHaveText('Asha Test');

  // The access cookie lapses (as after 15 minutes): the next page renews it silently.
  const before = (await context.cookies()).find((c) => c.name === 'mandi_refresh')?.value;
  expect((await context.cookies()).find((c) => c.name === 'mandi_session')?.httpOnly).toBe(true);
  await context.clearCookies({ name: 'mandi_session' });
  await page.reload();
  await expect(page.getByTestId('account-name')).toHaveText('Asha Test');
  const cookies = await context.cookies();
  expect(cookies.find((c) => c.name === 'mandi_session')).toBeTruthy();
  expect(cookies.find((c) => c.name === 'mandi_refresh')?.value).not.toBe(before);

  // Sign out everywhere: the account page now sends us to sign in.
  await expect(page.getByTestId('session-buttons')).toHaveAttribute('data-hydrated', 'true');
  await page.getByRole('button', { name: 'Sign out on all devices' }).click();
  await expect(page).toHaveURL(/\/$/);
  await page.goto('/account');
  await expect(page).toHaveURL(/\/login\?next=\/account$/);
  expect(problems).toEqual([]);
});

test('a wrong password is a form error, and a demo admin reaches the admin screens', async ({ page }) => {
  await page.goto('/login?next=/admin/users');
  const form = page.getByTestId('sign-in-form');
  await expect(form).toHaveAttribute('data-hydrated', 'true');
  await page.getByLabel('E-mail or phone').fill('admin@greenharvest.demo');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(form.getByTestId('form-error')).toContainText('not right');
  await page.getByLabel('Password').fill('mandi-demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/admin\/users$/);
  await expect(page.getByRole('heading', { name: 'People and roles' })).toBeVisible();
  await expect(page.getByTestId('member').first()).toBeVisible();

  await page.goto('/admin/audit?action=login.');
  await expect(page.getByTestId('audit-action').first()).toHaveText(/^login\./);
});

test('a message to a signed-in person appears on their account page as it is sent', async ({ page, request }) => {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(String(err)));
  const me = freshIdentity();

  await page.goto('/signup');
  await expect(page.getByTestId('sign-up-form')).toHaveAttribute('data-hydrated', 'true');
  await page.getByLabel('Your name').fill('Inbox Test');
  await page.getByLabel('E-mail').fill(me.email);
  await page.getByLabel('Phone').fill(me.phone);
  await page.getByLabel('Password').fill('a long enough secret');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/account$/);
  const inbox = page.getByTestId('inbox');
  await expect(inbox).toContainText('No messages yet.');
  await expect(inbox).toHaveAttribute('data-live', 'true');

  // An admin of the storefront's organisation gives them a role, over the API
  // (another "device"): the change's in-app message reaches the open page.
  const login = await request.post('/api/v1/auth/login', { data: { email: 'admin@greenharvest.demo', password: 'mandi-demo' } });
  expect(login.status()).toBe(200);
  const auth = { Authorization: `Bearer ${(await login.json()).data.accessToken}` };
  const found = await request.get(`/api/v1/admin/users?q=${encodeURIComponent(me.email)}`, { headers: auth });
  const id = (await found.json()).data[0].userId;
  const changed = await request.put(`/api/v1/admin/users/${id}/roles`, { headers: auth, data: { roles: ['customer', 'field_agent'] } });
  expect(changed.status()).toBe(200);

  const message = inbox.getByTestId('inbox-message').first();
  await expect(message).toContainText('Your roles in');
  await expect(message).toContainText('customer, field_agent');
  // And it is stored: a reload shows it without the live stream's help.
  await page.reload();
  await expect(page.getByTestId('inbox-message').first()).toContainText('customer, field_agent');
  expect(problems).toEqual([]);
});
