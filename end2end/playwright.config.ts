import { defineConfig } from '@playwright/test';

// Debian's Chromium, never a downloaded browser: this machine (and CI) has no route to
// Playwright's CDN. scripts/test starts the server and passes BASE_URL.
export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: process.env.BASE_URL ?? 'http://127.0.0.1:3000',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  projects: [
    { name: 'desktop', testIgnore: /ledger-.*\.spec\.ts/, use: { viewport: { width: 1280, height: 800 } } },
    { name: 'phone', testIgnore: /ledger-.*\.spec\.ts/, use: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } },
    // The market's ledger runs on tablets, with its service worker.
    { name: 'tablet', testMatch: /ledger-.*\.spec\.ts/, use: { viewport: { width: 1024, height: 768 }, hasTouch: true, serviceWorkers: 'allow' } },
  ],
});
