import { test, expect } from '@playwright/test';
import { signIn } from './ledger-support';

// Ops plan the estate's field work at /ops/tasks with the keyboard alone: a weekly
// series for the field agent, a refused endless rule named beside its field, and a
// task reassigned; the agent then marks their task done on their own board.

test('ops plan a weekly series by keyboard and the agent completes a task', async ({ page }, info) => {
  test.skip(info.project.name !== 'desktop', 'the board is a desk screen');
  await signIn(page, 'ops@darjberry.demo', '/ops/tasks');
  const form = page.getByTestId('new-task-form');
  await expect(form).toHaveAttribute('data-hydrated', 'true');
  const title = `Pluck block ${Date.now() % 100000}`;

  // An endless rule is refused beside its field.
  await form.getByLabel('Kind').selectOption('custom');
  await form.getByLabel('Title (needed for a custom task)').fill(title);
  await form.getByLabel('Due on').fill(new Date(Date.now() + 86_400_000).toISOString().slice(0, 10));
  // The estate's one field agent.
  await form.getByLabel('Assignee').selectOption({ index: 1 });
  await form.getByLabel('Repeat (optional)').fill('FREQ=DAILY');
  await form.getByLabel('Repeat (optional)').press('Enter');
  await expect(form.locator('[data-field-error="rrule"]')).toContainText('needs an end');

  await form.getByLabel('Repeat (optional)').fill('FREQ=WEEKLY;COUNT=3');
  await form.getByLabel('Repeat (optional)').press('Enter');
  await expect(page.getByTestId('task').filter({ hasText: title })).toHaveCount(3);

  // Reassign the first of them to nobody, by keyboard.
  const row = page.getByTestId('task').filter({ hasText: title }).first();
  await expect(row.getByTestId('task-actions')).toHaveAttribute('data-hydrated', 'true');
  await row.getByLabel('Assign to').selectOption('none');
  await row.getByRole('button', { name: 'Assign' }).press('Enter');
  await expect(page.getByTestId('task').filter({ hasText: title }).first().getByTestId('task-assignee')).toHaveText('—');

  // The agent's board: the series' next two are theirs; they complete one.
  await page.context().clearCookies();
  await signIn(page, 'field_agent@darjberry.demo', '/ops/tasks');
  const mine = page.getByTestId('task').filter({ hasText: title });
  await expect(mine).toHaveCount(2);
  await expect(page.getByTestId('new-task-form')).toHaveCount(0);
  await expect(mine.first().getByTestId('task-actions')).toHaveAttribute('data-hydrated', 'true');
  await mine.first().getByTestId('task-done').click();
  await expect(page.getByTestId('task').filter({ hasText: title })).toHaveCount(1);
});
