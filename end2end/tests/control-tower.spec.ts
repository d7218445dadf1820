import { test, expect, type Browser, type Page } from '@playwright/test';
import { signIn } from './ledger-support';

// The tower is a big screen in the operations room.
test.skip(({ isMobile }) => isMobile, 'the control tower is a desktop screen');

async function person(browser: Browser, email: string, next: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, baseURL: process.env.BASE_URL ?? 'http://127.0.0.1:3000' });
  const page = await context.newPage();
  await signIn(page, email, next);
  return page;
}

test('an order placed in one browser appears on the tower in another without reload; an alert is acknowledged, assigned and resolved; a dead letter is retried', async ({ page, browser }) => {
  const problems: string[] = [];
  const ops = await person(browser, 'ops@greenharvest.demo', '/');
  ops.on('pageerror', (err) => problems.push(String(err)));
  await ops.getByTestId('control-link').click();
  await expect(ops).toHaveURL(/\/control$/);
  const orders = ops.getByTestId('orders-panel');
  await expect(orders).toHaveAttribute('data-live', 'true');
  await expect(ops.getByTestId('tower-live')).toHaveAttribute('data-live', 'true');
  const pending = orders.locator('[data-testid="state-count"][data-state="pending_payment"]');
  const before = Number(await pending.getAttribute('data-count'));

  // A shopper places an order (and leaves it unpaid): the tower counts it and lists it
  // as the newest, within two seconds, without a reload.
  await signIn(page, 'customer@greenharvest.demo', '/search?q=tea');
  await page.locator('a[href^="/products/"]').first().click();
  const add = page.getByTestId('add-to-cart');
  await expect(add).toHaveAttribute('data-hydrated', 'true');
  await add.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByTestId('cart-message')).toContainText('Added');
  await page.goto('/checkout');
  await expect(page.getByTestId('checkout')).toHaveAttribute('data-hydrated', 'true');
  await page.getByLabel('Address', { exact: true }).fill('12 Lake View Road');
  await page.getByLabel('City').fill('Chennai');
  await page.getByLabel('PIN code').fill('600028');
  await page.getByLabel('State').selectOption('Tamil Nadu');
  const placedAt = Date.now();
  await page.getByRole('button', { name: 'Place order and pay' }).click();
  await expect(page).toHaveURL(/\/sandbox\/razorpay\/checkout\/order_/);
  await expect(pending).toHaveAttribute('data-count', String(before + 1), { timeout: 2_000 + (Date.now() - placedAt) });
  await expect(orders.getByTestId('newest-orders').getByTestId('tower-order').first()).toHaveAttribute('data-state', 'pending_payment');
  // Stock held for the unpaid order shows on the inventory panel.
  await expect(ops.getByTestId('holds')).not.toHaveText(/^0 /);
  // A second app process on the same database (scripts/test starts one, as behind a
  // load balancer) shows the same figures, and follows the same stream.
  const second = process.env.SECOND_URL;
  if (second) {
    const other = await ops.context().newPage();
    other.on('pageerror', (err) => problems.push(String(err)));
    await other.goto(`${second}/control`);
    const otherOrders = other.getByTestId('orders-panel');
    await expect(otherOrders).toHaveAttribute('data-live', 'true');
    const counts = async (p: Page) =>
      p.getByTestId('orders-panel').getByTestId('state-count').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-state')}=${e.getAttribute('data-count')}`));
    // Both are live, so they agree however other tests move orders meanwhile.
    await expect.poll(async () => (await counts(other)).join(' ') === (await counts(ops)).join(' ')).toBe(true);
    expect((await counts(other)).some((c) => c.startsWith('pending_payment='))).toBe(true);
    await other.close();
  }

  // The demo's low-stock alert: acknowledged, given to a colleague, resolved with a note.
  const alerts = ops.getByTestId('alerts-panel');
  await expect(alerts).toHaveAttribute('data-hydrated', 'true');
  const alert = alerts.locator('[data-testid="tower-alert"][data-kind="low_stock"]').first();
  await expect(alert).toHaveAttribute('data-status', 'open');
  await alert.getByRole('button', { name: 'Acknowledge' }).click();
  await expect(alerts.getByTestId('alert-report')).toHaveText('Acknowledged.');
  await expect(alert).toHaveAttribute('data-status', 'acknowledged');
  await expect(alert).toContainText('Acknowledged by');
  await alert.getByTestId('assign').selectOption({ index: 1 });
  await expect(alerts.getByTestId('alert-report')).toHaveText('Assigned.');
  await expect(alert).toContainText('· with ');
  const title = await alert.locator('.font-medium').first().textContent();
  await alert.getByTestId('resolution').fill('Received 40 more packs');
  await alert.getByRole('button', { name: 'Resolve' }).click();
  await expect(alerts.getByTestId('alert-report')).toHaveText('Resolved.');
  await expect(alerts.getByTestId('tower-alert').filter({ hasText: title! })).toHaveCount(0);

  // The demo's dead letter is sent again from the jobs panel.
  const jobs = ops.getByTestId('jobs-panel');
  await expect(jobs).toHaveAttribute('data-hydrated', 'true');
  const dead = jobs.getByTestId('dead-letter').first();
  await expect(dead).toBeVisible();
  const deadCount = await jobs.getByTestId('dead-letter').count();
  await dead.getByRole('button', { name: 'Retry' }).click();
  await expect(jobs.getByTestId('job-report')).toHaveText('Done.');
  await expect(jobs.getByTestId('dead-letter')).toHaveCount(deadCount - 1);

  // The platform's tower is not a tenant's: its ops are not offered it.
  await expect(ops.getByTestId('platform-link')).toHaveCount(0);

  // The audit log is one link away, and shows what was done.
  await ops.getByTestId('audit-link').click();
  await expect(ops).toHaveURL(/\/admin\/audit/);
  await expect(ops.locator('body')).toContainText('alert.resolved');
  expect(problems).toEqual([]);
});

test("an estate's tower gives a task to an agent and back by keyboard; a store's KPIs show with their chart", async ({ page, browser }) => {
  const problems: string[] = [];
  // A task due today, for nobody yet, planned on the task board.
  await signIn(page, 'ops@darjberry.demo', '/ops/tasks');
  const form = page.getByTestId('new-task-form');
  await expect(form).toHaveAttribute('data-hydrated', 'true');
  const title = `Check the drains ${Date.now() % 100000}`;
  await form.getByLabel('Kind').selectOption('custom');
  await form.getByLabel('Due on').fill(new Date().toISOString().slice(0, 10));
  await form.getByLabel('Title (needed for a custom task)').fill(title);
  await form.getByLabel('Title (needed for a custom task)').press('Enter');
  await expect(page.getByTestId('task').filter({ hasText: title })).toHaveCount(1);

  page.on('pageerror', (err) => problems.push(String(err)));
  await page.goto('/control');
  const field = page.getByTestId('field-panel');
  await expect(field).toHaveAttribute('data-hydrated', 'true');
  await expect(field).toHaveAttribute('data-live', 'true');
  const row = field.getByTestId('tower-task').filter({ hasText: title });
  await expect(row.locator('xpath=ancestor::div[@data-testid="agent-tasks"]/h3')).toHaveText('Unassigned');
  // Focus the task and press 1: the estate's first agent has it, and it keeps the focus.
  await row.focus();
  await page.keyboard.press('1');
  await expect(field.getByTestId('task-act-report')).toContainText(`${title}`);
  await expect(field.getByTestId('task-act-report')).toContainText('is now with');
  await expect(row.locator('xpath=ancestor::div[@data-testid="agent-tasks"]/h3')).toHaveText(/^1 · /);
  await expect(row).toBeFocused();
  // And 0 gives it back to nobody.
  await page.keyboard.press('0');
  await expect(field.getByTestId('task-act-report')).toContainText('is now unassigned');
  await expect(row.locator('xpath=ancestor::div[@data-testid="agent-tasks"]/h3')).toHaveText('Unassigned');

  // The store's KPIs: today against the week and the month, and the month drawn.
  const ops = await person(browser, 'ops@greenharvest.demo', '/control');
  const kpis = ops.getByTestId('kpi-panel');
  await expect(kpis).toHaveAttribute('data-hydrated', 'true');
  await expect(kpis.locator('[data-testid="kpi"][data-kpi="gmv"] [data-window="7"]')).toHaveText(/^₹/);
  await expect(kpis.locator('[data-testid="kpi"][data-kpi="fill-rate"]')).toBeVisible();
  await expect(kpis.getByTestId('kpi-chart').locator('svg')).toBeVisible();
  expect(problems).toEqual([]);
});

test("a platform operator's tower shows what belongs to no tenant and retries its dead letter", async ({ browser }) => {
  const problems: string[] = [];
  const operator = await person(browser, 'admin@greenharvest.demo', '/control');
  operator.on('pageerror', (err) => problems.push(String(err)));
  await operator.getByTestId('platform-link').click();
  await expect(operator).toHaveURL(/\/control\/platform$/);
  await expect(operator.getByTestId('tower-live')).toHaveAttribute('data-live', 'true');
  // The demo's payment that no order claims.
  await expect(operator.getByTestId('unmatched-payment').first()).toContainText('pay_DemoUnclaimed01');
  // The demo's nightly purge that ran out of attempts, sent again.
  const jobs = operator.getByTestId('jobs-panel');
  await expect(jobs).toHaveAttribute('data-hydrated', 'true');
  const dead = jobs.locator('[data-testid="dead-letter"][data-kind="maintenance.purge_expired_tokens"]');
  await expect(dead).toHaveCount(1);
  await dead.getByRole('button', { name: 'Retry' }).click();
  await expect(jobs.getByTestId('job-report')).toHaveText('Done.');
  await expect(dead).toHaveCount(0);
  // A store's ops asking for it directly are refused.
  const ops = await person(browser, 'ops@greenharvest.demo', '/');
  await ops.goto('/control/platform');
  await expect(ops.getByTestId('unmatched-panel')).toHaveCount(0);
  await expect(ops.locator('section[role="alert"]')).toContainText('You do not have access to this');
  expect(problems).toEqual([]);
});
