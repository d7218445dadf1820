import { test, expect, Page } from '@playwright/test';

// Any console error or CSP violation fails the test: hydration must be clean.
function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(String(err)));
  return problems;
}

test('home page lists products from the database', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/');
  await expect(page).toHaveTitle(/Mandi/);
  await expect(page.getByRole('heading', { name: 'From the farm, with its story.' })).toBeVisible();
  const cards = page.getByTestId('product-card');
  await expect(cards).toHaveCount(12);
  // 60 in the demo world; the back-office specs running beside this one add more.
  await expect(page.getByRole('link', { name: /See all \d+ products/ })).toBeVisible();
  expect(problems).toEqual([]);
});

test('search finds products and keeps the query in the URL', async ({ page }) => {
  await page.goto('/');
  const box = page.getByRole('searchbox', { name: 'Search products' });
  await box.fill('darjeeling');
  await box.press('Enter');
  await expect(page).toHaveURL(/\/search\?q=darjeeling/);
  await expect(page.getByRole('heading', { name: 'Results for “darjeeling”' })).toBeVisible();
  await expect(page.getByTestId('product-card').first()).toBeVisible();
  await expect(page.getByTestId('result-count')).toHaveText(/\d+ products?/);

  // A category chip narrows the results and the back button restores them.
  await page.getByRole('navigation', { name: 'Categories' }).getByRole('link', { name: /^Tea/ }).click();
  await expect(page).toHaveURL(/category=tea/);
  await page.goBack();
  await expect(page).toHaveURL(/\/search\?q=darjeeling$/);
});

test('a product page hydrates its pack-size picker', async ({ page, request }) => {
  const problems = watchConsole(page);
  // A tea with more than one pack size, found through the public API.
  const list = await (await request.get('/api/v1/products?category=tea&limit=100')).json();
  let target: { slug: string; name: string } | undefined;
  for (const p of list.data) {
    const detail = await (await request.get(`/api/v1/products/${p.id}`)).json();
    if (detail.data.variants.length >= 2) { target = p; break; }
  }
  expect(target, 'a tea with several pack sizes').toBeTruthy();

  await page.goto(`/search?q=${encodeURIComponent(target!.name)}`);
  await page.getByTestId('product-card').filter({ hasText: target!.name }).first().click();
  await expect(page).toHaveURL(new RegExp(`/products/${target!.slug}$`));
  await expect(page.getByRole('heading', { level: 1, name: target!.name })).toBeVisible();

  const picker = page.getByTestId('variant-picker');
  const price = picker.getByTestId('price');
  const options = picker.getByRole('radio');
  const labels = picker.locator('label');
  const count = await options.count();
  const initial = await options.evaluateAll((els) => els.findIndex((e) => (e as HTMLInputElement).checked));
  const other = initial === count - 1 ? 0 : count - 1;
  const expected = (await labels.nth(other).locator('span').nth(1).innerText()).trim();
  expect(await price.innerText()).not.toBe(expected);

  // The island marks itself once its WASM has hydrated; then a click moves the price.
  await expect(picker, `island hydrated (console: ${problems.join(' | ')})`).toHaveAttribute('data-hydrated', 'true', { timeout: 45_000 });
  await labels.nth(other).click();
  await expect(price).toHaveText(expected);
  await expect(options.nth(other)).toBeChecked();
  expect(await price.innerText()).toMatch(/^₹[\d,]+\.\d{2}$/);
  expect(problems).toEqual([]);
});

test('unknown pages show a helpful 404', async ({ page }) => {
  const response = await page.goto('/products/no-such-product');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'We could not find that product' })).toBeVisible();
  await page.getByRole('link', { name: 'Back to the shop' }).click();
  await expect(page).toHaveURL(/\/$/);
});

function rupees(text: string): number {
  return Number(text.replace(/[₹,\s]/g, '').split('/')[0]);
}

test('filters by price and stock with the keyboard only; the URL holds the query and back restores it', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/search');
  const filters = page.getByRole('form', { name: 'Filter products' });
  const min = filters.getByLabel('Minimum');
  const max = filters.getByLabel('Maximum');
  const inStock = filters.getByLabel('In stock only');

  // Tab into the form from the keywords box and work it from the keyboard.
  await filters.getByLabel('Keywords').focus();
  for (let i = 0; i < 10 && !(await min.evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press('Tab');
  }
  await expect(min).toBeFocused();
  await page.keyboard.type('100');
  await page.keyboard.press('Tab');
  await expect(max).toBeFocused();
  await page.keyboard.type('400');
  await page.keyboard.press('Tab');
  await expect(inStock).toBeFocused();
  await page.keyboard.press('Space');
  await expect(inStock).toBeChecked();
  await page.keyboard.press('Tab');
  await expect(filters.getByLabel('Sort by')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(filters.getByRole('button', { name: 'Apply filters' })).toBeFocused();
  await page.keyboard.press('Enter');

  await expect(page).toHaveURL(/minPrice=100/);
  const url = new URL(page.url());
  expect(url.searchParams.get('maxPrice')).toBe('400');
  expect(url.searchParams.get('inStock')).toBe('true');
  const cards = page.getByTestId('product-card');
  await expect(cards.first()).toBeVisible();
  for (const card of await cards.all()) {
    await expect(card).not.toContainText('Out of stock');
    const price = rupees(await card.locator('.font-semibold').last().innerText());
    expect(price).toBeGreaterThanOrEqual(100);
    expect(price).toBeLessThanOrEqual(400);
  }
  // The form shows the query it ran.
  await expect(min).toHaveValue('100');
  await expect(inStock).toBeChecked();

  // Back returns to the unfiltered listing; forward restores the filters from the URL.
  await page.goBack();
  await expect(page).toHaveURL(/\/search$/);
  await expect(page.getByRole('form', { name: 'Filter products' }).getByLabel('Minimum')).toHaveValue('');
  await page.goForward();
  await expect(page).toHaveURL(/minPrice=100/);
  await expect(page.getByRole('form', { name: 'Filter products' }).getByLabel('Maximum')).toHaveValue('400');
  expect(problems).toEqual([]);
});

test('a filter that cannot apply is explained beside its field, with the values back to correct', async ({ page }) => {
  await page.goto('/search');
  let filters = page.getByRole('form', { name: 'Filter products' });
  await filters.getByLabel('Minimum').fill('500');
  await filters.getByLabel('Maximum').fill('100');
  await filters.getByRole('button', { name: 'Apply filters' }).click();

  await expect(page).toHaveURL(/minPrice=500/);
  await expect(page.getByTestId('filter-errors')).toContainText('Some filters are not valid');
  filters = page.getByRole('form', { name: 'Filter products' });
  const min = filters.getByLabel('Minimum');
  await expect(min).toHaveValue('500');
  await expect(min).toHaveAttribute('aria-invalid', 'true');
  await expect(min).toHaveAccessibleDescription('must not be more than maxPrice');
  await expect(filters.getByLabel('Maximum')).not.toHaveAttribute('aria-invalid', 'true');

  await min.fill('');
  await filters.getByLabel('Maximum').fill('');
  await filters.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/minPrice=&/);
  await expect(page.getByTestId('filter-errors')).toHaveCount(0);
  await expect(page.getByTestId('product-card').first()).toBeVisible();
});

test('a product page shows its provenance and links to the public trace page', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/products/heirloom-tomatoes');
  const panel = page.getByTestId('provenance');
  await expect(panel.getByRole('heading', { name: 'Provenance' })).toBeVisible();
  await expect(panel.getByRole('heading', { name: 'Lab results' })).toBeVisible();
  await expect(panel.getByRole('table')).toContainText(/Pass|Fail/);
  await expect(panel.getByTestId('checkpoints')).toContainText('°C');
  await expect(panel.getByTestId('certifications')).toContainText('India Organic (NPOP)');
  const code = (await panel.getByTestId('batch-code').first().innerText()).trim();
  expect(code).toMatch(/^GH-VEG-\d+$/);

  await panel.getByTestId('trace-link').first().click();
  await expect(page).toHaveURL(new RegExp(`/trace/${code}$`));
  await expect(page.getByText('Batch trace')).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Heirloom Tomatoes');
  await expect(page.getByTestId('batch-code')).toHaveText(code);
  await expect(page.getByTestId('lab-results')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Heirloom Tomatoes' })).toHaveAttribute('href', '/products/heirloom-tomatoes');
  expect(problems).toEqual([]);

  const missing = await page.goto('/trace/GH-NOPE-000000');
  expect(missing?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'We could not find that batch' })).toBeVisible();
});

test('the buy box adds to the cart without JavaScript too, and a pack the store does not sell is refused beside the button', async ({ browser, page }) => {
  // No WASM, no script: the same form posts to the cart, and the browser comes back.
  const plain = await browser.newContext({ javaScriptEnabled: false });
  const bare = await plain.newPage();
  await bare.goto('/products/heirloom-tomatoes');
  await bare.getByRole('button', { name: 'Add to cart' }).click();
  await expect(bare).toHaveURL(/\/products\/heirloom-tomatoes\??$/);
  await bare.goto('/cart');
  await expect(bare.getByTestId('cart-line')).toHaveCount(1);
  await expect(bare.getByTestId('line-quantity')).toHaveText('1');
  await plain.close();

  // With the island: a pack id the store does not have (a tampered page) gets the
  // server's reason, and the cart is untouched.
  const problems = watchConsole(page);
  await page.goto('/products/heirloom-tomatoes');
  const box = page.getByTestId('add-to-cart');
  await expect(box).toHaveAttribute('data-hydrated', 'true');
  await page.locator('input[name=variant_id]:checked').evaluate((el) => el.setAttribute('value', '00000000-0000-7000-8000-000000000000'));
  await box.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByTestId('cart-message')).toHaveText('is not a product variant in this store');
  await expect(page.getByTestId('cart-message')).toHaveClass(/text-red-700/);
  await page.goto('/cart');
  await expect(page.getByText('Your cart is empty.')).toBeVisible();
  // The refusal (a 4xx answer) is logged by the browser as a failed resource; nothing else may be.
  expect(problems.filter((p) => !p.includes('status of 4'))).toEqual([]);
});
