import { test, expect } from '@playwright/test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ADMIN, hydrated, signIn, watch } from './helpers';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ request }) => {
  const status = await (await request.post('/api/setup_status')).json();
  if (status.needs_setup) {
    await request.post('/api/setup', {
      form: { org_name: ADMIN.org, username: ADMIN.user, display_name: ADMIN.name, password: ADMIN.password, password_confirm: ADMIN.password },
    });
  }
});

function csvFile(name: string, body: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ld-sets-')), name);
  fs.writeFileSync(file, body);
  return file;
}

test('add a volume agreement by hand with two number sets', async ({ page }) => {
  const w = watch(page);
  await signIn(page);
  await page.goto('/licenses/agreements/new');
  await hydrated(page);
  await page.getByLabel('Agreement name').fill('Open Value 2026');
  await page.getByLabel('Set 1: authorization or agreement number').fill('V1234567');
  await page.getByLabel('Set 1: license, enrollment or customer number').fill('V1234567');
  await page.getByRole('button', { name: 'Add set (+)' }).click();
  await page.getByLabel('Set 2: authorization or agreement number').fill('V7654321');
  await page.getByLabel('Set 2: license, enrollment or customer number').fill('V7654321');
  await page.getByRole('button', { name: 'OK' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Agreement added.' })).toBeVisible();
  await page.goto('/licenses/agreements');
  const row = page.getByRole('row', { name: /Open Value 2026/ });
  await expect(row).toContainText('V1234567');
  await expect(row).toContainText('V7654321');
  await expect(row).toContainText('Unassigned agreements');
  await expect(row).toContainText('Product title: Not available');
  w.assertClean();
});

test('upload a number-set CSV: an error is named with its line; a good file goes into a new group', async ({ page }) => {
  const w = watch(page);
  w.expectStatus(422);
  await signIn(page);
  await page.goto('/licenses/agreements/new');
  await hydrated(page);
  const bad = csvFile('sets.csv', '01-07001, 01-07001, Office agreements\n01-07002, 12345678901234567, Office agreements\n');
  await page.getByLabel('Number-set file (CSV)').setInputFiles(bad);
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('1 problem(s) found; nothing was stored.');
  await expect(alert.getByRole('row', { name: /2 second_number A number may have at most 16 characters/ })).toBeVisible();

  await page.getByLabel('A new license group').check();
  await page.getByLabel('Name of the new group').fill('Microsoft Open');
  const good = csvFile('sets.csv', '01-07001, 01-07001, Office agreements\n01-07002, 01-07002, Office agreements\n02-1,02-2,Visio\n');
  await page.getByLabel('Number-set file (CSV)').setInputFiles(good);
  await expect(page.getByRole('status').filter({ hasText: 'Stored sets / agreements: 3 / 2.' })).toBeVisible();
  await page.goto('/licenses/groups');
  await expect(page.getByRole('row', { name: /Microsoft Open 2/ })).toBeVisible();
  w.assertClean();
});

test('add an other-software agreement with the publisher and product type-ahead', async ({ page }) => {
  const w = watch(page);
  await signIn(page);
  await page.goto('/licenses/agreements/new');
  await hydrated(page);
  await page.getByRole('tab', { name: 'Other software agreement' }).click();
  await page.getByLabel('Agreement name').fill('Visio retail');
  await page.getByLabel('Publisher').fill('soft');
  await expect(page.getByRole('button', { name: 'Microsoft Research' })).toBeVisible();
  await page.getByRole('button', { name: 'Microsoft', exact: true }).click();
  await page.getByLabel('Product title').fill('visio');
  await page.getByRole('button', { name: 'Visio Professional 2021' }).click();
  await page.getByLabel('Number of licenses').fill('25');
  await page.getByLabel('License start date').fill('2026-01-01');
  await page.getByLabel('License end date').fill('2026-12-31');
  await page.getByRole('button', { name: 'OK' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Agreement added.' })).toBeVisible();
  await page.goto('/licenses/agreements?q=visio');
  await expect(page.getByRole('row', { name: /Visio retail/ })).toContainText('Microsoft — Visio Professional 2021');
  await expect(page.getByRole('row', { name: /Visio retail/ })).toContainText('25 licenses');
  w.assertClean();
});

test('run both reports and export CSV', async ({ page, request }) => {
  const w = watch(page);
  await signIn(page);
  // One managed computer with Visio, so that the installation report has content.
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'ld_session')!.value;
  const headers = { cookie: `ld_session=${session}` };
  await request.post('/api/directory/import/devices', { headers, data: 'name,platform,os_version,primary_user,join_type,last_check_in\nPC-REPORT,windows,10.0,,none,\n' });
  await request.post('/api/directory/import/software', { headers, data: 'device,publisher,product,version\nPC-REPORT,Microsoft,Visio Professional 2021,16\n' });

  await page.goto('/licenses/reports');
  await hydrated(page);
  await page.getByRole('tab', { name: 'License installation report' }).click();
  const visio = page.getByRole('row', { name: /Visio Professional 2021/ });
  await expect(visio).toContainText('Over-licensed (24 unused)');
  await expect(page.getByRole('figure')).toBeVisible();
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export CSV' }).click();
  const text = fs.readFileSync((await (await download).path())!, 'utf8');
  expect(text).toContain('Microsoft,Visio Professional 2021,1,25,over-licensed,24');

  await page.getByRole('tab', { name: 'License purchase report' }).click();
  await expect(page.getByRole('heading', { name: 'License purchase report', level: 2 })).toBeVisible();
  await expect(page.getByRole('row', { name: /Visio retail/ })).toBeVisible();
  const download2 = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export CSV' }).click();
  const purchase = fs.readFileSync((await (await download2).path())!, 'utf8');
  expect(purchase.split('\n')[0]).toBe('license_group,agreement,type,publisher,product,licenses');
  w.assertClean();
});

test('Refresh now validates the number sets against the licensing service', async ({ page }) => {
  const w = watch(page);
  await signIn(page);
  await page.goto('/licenses');
  await hydrated(page);
  await expect(page.getByText('Agreements changed since the last refresh')).toBeVisible();
  await page.getByRole('button', { name: 'Refresh now' }).click();
  await expect(page.getByRole('status').filter({ hasText: /Refreshed \d+ number sets/ })).toBeVisible();
  await expect(page.getByText(/Last refreshed/)).toBeVisible();
  await expect(page.getByText('Agreements changed since the last refresh')).toHaveCount(0);
  await page.goto('/licenses/agreements?q=open');
  await expect(page.getByRole('row', { name: /Open Value 2026/ })).toContainText('Valid');
  w.assertClean();
});
