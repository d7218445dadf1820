import { test, expect, type APIRequestContext } from '@playwright/test';
import { signIn } from './ledger-support';

// A farm's soil sensor reads dry, again and again: one alert opens (not one per
// reading), the owner is told (the development outbox shows it) and sees it on the
// farm's page on their phone; ops resolve it.

async function token(request: APIRequestContext, email: string): Promise<string> {
  const login = await request.post('/api/v1/auth/login', { data: { email, password: 'mandi-demo' } });
  expect(login.status()).toBe(200);
  return (await login.json()).data.accessToken;
}

test('dry readings open one alert that reaches the owner', async ({ page, request }, info) => {
  test.skip(info.project.name !== 'phone', 'the owners\' pages are phone first');
  const owner = await token(request, 'customer@darjberry.demo');
  const ops = await token(request, 'ops@darjberry.demo');
  const agent = await token(request, 'field_agent@darjberry.demo');
  const as = (t: string) => ({ authorization: `Bearer ${t}` });
  const me = (await (await request.get('/api/v1/auth/me', { headers: as(owner) })).json()).data;
  const farm = (await (await request.get('/api/v1/me/farms', { headers: as(owner) })).json()).data[0];

  // A run before this one (a retry) may have left the farm's alert open.
  const open = () =>
    request.get(`/api/v1/alerts?status=open&kind=reading_out_of_range&subjectId=${farm.farmId}`, { headers: as(ops) });
  for (const a of (await (await open()).json()).data) {
    await request.post(`/api/v1/alerts/${a.id}/resolve`, { headers: as(ops), data: {} });
  }

  const sensor = `soil-e2e-${Date.now()}`;
  const dry = (minutesAgo: number) => ({
    sensor, metric: 'soil_moisture', value: '9.5', unit: '%',
    time: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
  });
  const send = async (readings: object[]) => {
    const r = await request.post(`/api/v1/farms/${farm.slug}/readings`, { headers: as(agent), data: { readings } });
    expect(r.status()).toBe(200);
    return (await r.json()).data;
  };
  expect((await send([dry(30), dry(20), dry(10)])).alertsOpened).toBe(1);
  for (let i = 0; i < 10; i++) expect((await send([dry(9 - i * 0.5)])).alertsOpened).toBe(0);
  const alerts = (await (await open()).json()).data;
  expect(alerts).toHaveLength(1);

  // The owner's copy, in their language, waits in the development outbox.
  await expect
    .poll(async () => {
      await page.goto(`/dev/outbox?to=${me.id}`);
      return page.getByTestId('outbox-body').allTextContents();
    }, { timeout: 15_000 })
    .toContainEqual(expect.stringContaining('soil moisture readings out of range'));

  await signIn(page, 'customer@darjberry.demo', `/my/farms/${farm.slug}`);
  await expect(page.getByTestId('alert').first()).toContainText(sensor);

  const resolved = await request.post(`/api/v1/alerts/${alerts[0].id}/resolve`, {
    headers: as(ops), data: { resolution: 'Irrigation restored.' },
  });
  expect((await resolved.json()).data.status).toBe('resolved');
  await page.reload();
  await expect(page.getByTestId('alert')).toHaveCount(0);
});
