import { expect, type Page } from '@playwright/test';

// Signs in through the real form and lands on `next`. `english` pins the tablet's own
// language choice, which comes before the person's: the Tamil spec changes the staff
// member's language while other specs run beside it.
export async function signIn(page: Page, email: string, next: string, english = true) {
  if (english) await page.addInitScript(() => localStorage.setItem('mandi.ledger.lang', 'en'));
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  const form = page.getByTestId('sign-in-form');
  await expect(form).toHaveAttribute('data-hydrated', 'true');
  await page.getByLabel('E-mail or phone').fill(email);
  await page.getByLabel('Password').fill('mandi-demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL((url) => url.pathname + url.search === next);
}

// The demo's morning of entries as YYYY-MM-DD: the latest market day whose 04:00 IST
// opening has passed (server/src/demo/market.rs, `demo_day`).
export function demoDay(now = new Date()): string {
  const opened = new Date(now.getTime() - 4 * 3600_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Kolkata' }).format(opened);
}
