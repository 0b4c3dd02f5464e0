import { test, expect, type Page } from '@playwright/test';
import { ADMIN, hydrated, signIn, watch } from './helpers';

// The Store story on the first portal, linked to the store simulator started beside it:
// upload a token file, Sync now, see the apps with their counts, deploy to a group that is too
// big (blocked, with the remedies), narrow the scope, succeed, and read the sync history.
test.describe.configure({ mode: 'serial' });

function tokenFile(org: string): Buffer {
  const json = JSON.stringify({ token: `e2e-${Date.now()}`, expDate: '2030-11-08T22:33:22+0000', orgName: org });
  return Buffer.from(Buffer.from(json).toString('base64'));
}

async function post(page: Page, endpoint: string, form: Record<string, string>) {
  const res = await page.request.post(`/api/${endpoint}`, { form });
  expect(res.ok(), `${endpoint}: ${res.status()} ${await res.text()}`).toBeTruthy();
  return res.json();
}

async function waitForSync(page: Page) {
  const panel = page.getByRole('region', { name: /Apple volume purchase program/ });
  await expect(panel.getByRole('status')).toHaveCount(0, { timeout: 20_000 });
  await expect(panel).toContainText('Succeeded');
}

test('link the store simulator with a token file, sync, deploy within the licenses owned', async ({ page }) => {
  const w = watch(page);
  w.expectStatus(409, 422);
  await signIn(page);
  await page.goto('/store/connections');
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Store connections' })).toBeVisible();

  // Upload a token.
  await page.getByRole('button', { name: 'Upload a token' }).click();
  const dialog = page.getByRole('dialog', { name: 'Upload a token' });
  await dialog.getByLabel('Content token file (.vpptoken)').setInputFiles({
    name: 'northwind.vpptoken',
    mimeType: 'text/plain',
    buffer: tokenFile(ADMIN.org),
  });
  await dialog.getByLabel('Token name').fill('Head office');
  await dialog.getByLabel('Apple ID').fill('it@northwind.example');
  // Without the confirmation the server refuses and says why.
  await dialog.getByRole('button', { name: 'Upload' }).click();
  await expect(dialog.getByRole('alert')).toContainText('Confirm that you understand');
  await dialog.getByLabel(/I understand that once linked/).check();
  await dialog.getByRole('button', { name: 'Upload' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Linked. The first sync has started.' })).toBeVisible();
  const panel = page.getByRole('region', { name: /Apple volume purchase program — Head office/ });
  await expect(panel).toContainText(ADMIN.org);
  await expect(panel).toContainText('Valid');
  await waitForSync(page);

  // Sync now: the run shows progress, then its result.
  await panel.getByRole('button', { name: 'Sync now' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Sync started.' })).toBeVisible();
  await waitForSync(page);

  // Apps with counts: pick the paid app with the fewest licenses.
  const page1 = await post(page, 'store_apps', {
    'filter[q]': '', 'filter[store]': 'apple', 'filter[platform]': '', 'filter[state]': '', 'filter[exhausted]': 'false',
  });
  const paid = (page1.items as any[]).filter((a) => a.total < 1000).sort((a, b) => a.total - b.total);
  expect(paid.length).toBeGreaterThan(5);
  const target = paid[0];
  await page.goto('/store/apps?store=apple');
  await hydrated(page);
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: target.name, exact: true }) });
  await expect(row.first()).toContainText(String(target.total));

  // A group bigger than the licenses owned, and a small one.
  const stamp = Date.now() % 100000;
  const ids: number[] = [];
  for (let i = 0; i < target.total + 2; i++) {
    ids.push(await post(page, 'users_save', {
      display_name: `Pilot ${stamp}-${i}`, sign_in_name: `pilot${stamp}x${i}@northwind.example`, department: 'Field',
    }));
  }
  const big = await post(page, 'groups_save', { name: `Store pilots ${stamp}`, description: 'everyone' });
  await post(page, 'groups_members', { group_id: String(big), user_ids: ids.join(','), add: 'true' });
  const small = await post(page, 'groups_save', { name: `Store first wave ${stamp}`, description: 'two people' });
  await post(page, 'groups_members', { group_id: String(small), user_ids: ids.slice(0, 2).join(','), add: 'true' });

  // Deploy to the big group: blocked as a whole with the missing count and the ways out.
  await page.goto(`/store/apps/${target.id}`);
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1, name: target.name })).toBeVisible();
  const deploy = page.getByRole('region', { name: 'Deploy' });
  await deploy.getByLabel('Type a user, group or device').fill(`Store pilots ${stamp}`);
  await deploy.getByRole('button', { name: new RegExp(`^Store pilots ${stamp}`) }).click();
  await deploy.getByLabel('Intent').selectOption('required');
  await deploy.getByRole('button', { name: 'Deploy', exact: true }).click();
  const refusal = deploy.getByRole('alert');
  await expect(refusal).toContainText('2 missing');
  await expect(refusal).toContainText('remove the app from some devices');
  await expect(refusal).toContainText("narrow the deployment's scope");
  await expect(refusal).toContainText('buy 2 more in the store');
  await expect(page.getByRole('table', { name: 'Deployments' })).toHaveCount(0);

  // Narrow the scope: the small group fits.
  await deploy.getByRole('button', { name: `Remove Store pilots ${stamp} from the selection` }).click();
  await deploy.getByLabel('Type a user, group or device').fill(`Store first wave ${stamp}`);
  await deploy.getByRole('button', { name: new RegExp(`^Store first wave ${stamp}`) }).click();
  await deploy.getByRole('button', { name: 'Deploy', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Deployed; 2 new license(s) in use.' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Deployments' })).toContainText(`Store first wave ${stamp}`);
  await expect(page.getByRole('table', { name: 'License holders' }).getByRole('row')).toHaveCount(3);
  await expect(page.getByRole('table', { name: 'License holders' })).toContainText('Invited, not accepted yet');
  await expect(page.locator('dl.facts')).toContainText(String(target.total - 2));

  // Sync history shows the runs.
  await page.goto('/store/sync-runs');
  await hydrated(page);
  const runs = page.getByRole('table', { name: 'Sync history' });
  await expect(runs.getByRole('row').filter({ hasText: 'Succeeded' })).toHaveCount(2);
  await expect(runs).toContainText('Linking');
  await expect(runs).toContainText('Sync now');
  w.assertClean();
});
