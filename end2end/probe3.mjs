import { chromium } from 'playwright';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
const page = await browser.newPage();
page.on('pageerror', (e) => console.log('pageerror', e.message.slice(0, 800)));
page.on('console', (m) => { if (m.type() !== 'log') console.log('console', m.type(), m.text().slice(0, 300)); });
let n = 0, bytes = 0;
page.on('response', async (r) => { n++; if (r.status() >= 300) console.log('resp', r.status(), r.url()); });
const t0 = Date.now();
await page.goto(process.argv[2]);
try { await page.waitForSelector(process.argv[3], { timeout: 30000 }); console.log('hydrated after', Date.now() - t0, 'ms', n, 'responses'); } catch (e) { console.log('not hydrated', n); }
await browser.close();
