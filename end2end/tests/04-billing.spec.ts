import { test, expect, type Page } from '@playwright/test';
import * as fs from 'node:fs';
import { DEMO_BASE_URL, hydrated, signInDemo, watch } from './helpers';

// Billing runs against the second portal, started with --demo: a year of invoices and
// subscriptions in every state need history that a fresh database does not have.
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
test.use({ baseURL: DEMO_BASE_URL });
test.describe.configure({ mode: 'serial' });

async function openSubscription(page: Page, name: string) {
  await page.goto('/billing/subscriptions');
  await hydrated(page);
  await page.getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  await hydrated(page);
}

test('change the quantity of a per-seat subscription; a flat-rate one refuses', async ({ page }) => {
  const w = watch(page);
  w.expectStatus(409);
  await signInDemo(page);
  await openSubscription(page, 'Fabrikam Sign');
  await page.getByRole('button', { name: 'Change license quantity' }).click();
  const dialog = page.getByRole('dialog', { name: 'Change license quantity' });
  await dialog.getByLabel('Number of licenses').fill('130');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Quantity changed to 130.' })).toBeVisible();
  await expect(page.locator('dl.facts')).toContainText('130');
  await expect(page.getByRole('table', { name: 'Prorated charges' })).toContainText('120 → 130');

  await openSubscription(page, 'Tailspin Survey');
  await expect(page.locator('dl.facts')).toContainText('Unlimited');
  await page.getByRole('button', { name: 'Change license quantity' }).click();
  const flat = page.getByRole('dialog', { name: 'Change license quantity' });
  await flat.getByLabel('Number of licenses').fill('5');
  await flat.getByRole('button', { name: 'Save' }).click();
  await expect(flat.getByRole('alert')).toContainText('flat rate');
  w.assertClean();
});

test('edit the billing profile, then cancel for good', async ({ page }) => {
  const w = watch(page);
  await signInDemo(page);
  await openSubscription(page, 'Fabrikam Sign');
  await page.getByRole('button', { name: 'Edit billing profile of this subscription' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit billing profile of this subscription' });
  await dialog.getByLabel('Billing profile').selectOption({ label: 'Contoso Europe' });
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Billing profile changed.' })).toBeVisible();
  await expect(page.locator('dl.facts')).toContainText('Contoso Europe');

  await openSubscription(page, 'Tailspin Survey');
  await page.getByRole('button', { name: 'Cancel subscription' }).click();
  const confirm = page.getByRole('dialog', { name: 'Cancel subscription' });
  await expect(confirm).toContainText('cannot be reactivated');
  await confirm.getByRole('button', { name: 'Cancel subscription' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Subscription cancelled.' })).toBeVisible();
  await expect(page.getByRole('note')).toContainText('Disabled: cancelled.');
  await expect(page.getByRole('note')).toContainText('buy another subscription');
  await expect(page.getByRole('button', { name: 'Cancel subscription' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Change license quantity' })).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole('note')).toContainText('Disabled: cancelled.');
  w.assertClean();
});

test('open an invoice and download it as CSV', async ({ page }) => {
  const w = watch(page);
  await signInDemo(page);
  await page.goto('/billing/invoices');
  await hydrated(page);
  await expect(page.getByRole('table', { name: 'Invoices' }).getByRole('row')).not.toHaveCount(1);
  const first = page.getByRole('table', { name: 'Invoices' }).getByRole('link', { name: /^INV-/ }).first();
  const number = (await first.textContent())!.trim();
  await first.click();
  await expect(page.getByRole('heading', { level: 1, name: `Invoice ${number}` })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Line items' })).toBeVisible();
  await hydrated(page);
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe(`${number}.csv`);
  const text = fs.readFileSync((await file.path())!, 'utf8');
  expect(text.split('\n')[0]).toBe('invoice,period,billing_profile,kind,description,quantity,unit_price,amount,currency');
  expect(text).toContain(',total,Total,');
  w.assertClean();
});

test('assign an ISV license to a group and unassign it', async ({ page }) => {
  const w = watch(page);
  await signInDemo(page);
  // Pick the smallest demo group that Fourth Coffee Analytics does not reach yet.
  const apps = await (await page.request.post('/api/isv_apps_list')).json();
  const app = apps.find((a: any) => a.name === 'Fourth Coffee Analytics');
  const detail = await (await page.request.post('/api/isv_app_get', { form: { id: String(app.id) } })).json();
  const taken = new Set(detail.assignments.map((a: any) => a.name));
  const groups = (await (await page.request.post('/api/groups_list', { form: {} })).json()).items
    .filter((g: any) => g.member_count > 0 && !taken.has(g.name))
    .sort((a: any, b: any) => a.member_count - b.member_count);
  const group = groups[0];

  await page.goto('/billing/licenses');
  await hydrated(page);
  await page.getByRole('link', { name: 'Fourth Coffee Analytics' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Fourth Coffee Analytics' })).toBeVisible();
  await hydrated(page);
  await expect(page.getByRole('link', { name: 'Install this product' })).toHaveAttribute('href', /fourthcoffee/);
  await expect(page.getByRole('note')).toContainText('contact the vendor');
  await page.getByLabel('Type a user or group name').fill(group.name);
  await page.getByRole('button', { name: `${group.name} — group · ${group.member_count} members` }).click();
  await page.getByRole('button', { name: 'Assign', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Licenses assigned.' })).toBeVisible();
  const row = page.getByRole('row', { name: new RegExp(esc(group.name)) });
  await expect(row).toContainText(`${group.member_count} members`);

  await row.getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Unassign licenses' }).click();
  const dialog = page.getByRole('dialog', { name: 'Unassign licenses' });
  await dialog.getByRole('button', { name: 'Unassign', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: '1 assignment(s) removed.' })).toBeVisible();
  await expect(page.getByRole('row', { name: new RegExp(esc(group.name)) })).toHaveCount(0);
  w.assertClean();
});
