import { test, expect, type Page } from '@playwright/test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ADMIN, hydrated, signIn, watch } from './helpers';

test.describe.configure({ mode: 'serial' });

// Runs after 01-foundation (which sets the portal up); on its own it sets it up itself.
test.beforeAll(async ({ request }) => {
  const status = await (await request.post('/api/setup_status')).json();
  if (status.needs_setup) {
    await request.post('/api/setup', {
      form: { org_name: ADMIN.org, username: ADMIN.user, display_name: ADMIN.name, password: ADMIN.password, password_confirm: ADMIN.password },
    });
  }
});

function csvFile(name: string, body: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ld-csv-')), name);
  fs.writeFileSync(file, body);
  return file;
}

async function importCsv(page: Page, id: string, file: string) {
  await page.locator(`#${id}`).setInputFiles(file);
}

test('import users: a file with one bad line shows its line number and stores nothing; a good file imports', async ({ page }) => {
  const w = watch(page);
  w.expectStatus(422);
  await signIn(page);
  await page.goto('/users');
  await hydrated(page);
  const bad = csvFile('bad.csv', 'display_name,sign_in_name,department,enabled\nKatherine Johnson,katherine@nasa.example,Research,true\nDorothy Vaughan,dorothy-at-nasa,Research,true\n');
  await importCsv(page, 'import-users', bad);
  const errors = page.getByRole('alert');
  await expect(errors).toContainText('1 problem(s) found; nothing was imported.');
  await expect(errors.getByRole('row', { name: /3 sign_in_name Sign-in name must be an e-mail address/ })).toBeVisible();
  await expect(page.getByText('0 users')).toBeVisible();

  const good = csvFile('good.csv', 'display_name,sign_in_name,department,enabled\nKatherine Johnson,katherine@nasa.example,Research,true\nDorothy Vaughan,dorothy@nasa.example,Research,true\nMary Jackson,mary@nasa.example,Engineering,true\n');
  await importCsv(page, 'import-users', good);
  await expect(page.getByRole('status').filter({ hasText: 'Imported 3 rows.' })).toBeVisible();
  await expect(page.getByText('3 users')).toBeVisible();
  w.assertClean();
});

test('add a user, find it by search, add it to a group with the picker', async ({ page }) => {
  const w = watch(page);
  await signIn(page);
  await page.goto('/users');
  await hydrated(page);
  const add = page.getByRole('region', { name: 'Add user' });
  await add.getByLabel('Display name').fill('Annie Easley');
  await add.getByLabel('Sign-in name').fill('annie@nasa.example');
  await add.getByLabel('Department').fill('Engineering');
  await add.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByText('4 users')).toBeVisible();

  await page.getByLabel('Search by name, sign-in name or department').fill('easley');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/q=easley/);
  await expect(page.getByText('1 users')).toBeVisible();
  await page.getByRole('link', { name: 'Annie Easley' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Annie Easley' })).toBeVisible();

  await page.goto('/groups');
  await hydrated(page);
  const addGroup = page.getByRole('region', { name: 'Add group' });
  await addGroup.getByLabel('Name').fill('Computing');
  await addGroup.getByLabel('Description').fill('The computing section');
  await addGroup.getByRole('button', { name: 'Add group' }).click();
  await page.getByRole('link', { name: 'Computing' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Computing' })).toBeVisible();
  await hydrated(page);

  const picker = page.getByRole('region', { name: 'Add members' });
  await picker.getByLabel('Type a name, sign-in name or department').fill('engineering');
  await picker.getByRole('button', { name: 'Annie Easley (annie@nasa.example)' }).click();
  await picker.getByRole('button', { name: 'Mary Jackson (mary@nasa.example)' }).click();
  await picker.getByRole('button', { name: 'Add members (2)' }).click();
  await expect(page.getByText('2 members', { exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Annie Easley' })).toBeVisible();

  // The user's page lists the group.
  await page.getByRole('link', { name: 'Annie Easley' }).click();
  await expect(page.getByRole('link', { name: 'Computing' })).toBeVisible();
  w.assertClean();
});

test('export writes the users as CSV in the columns import reads', async ({ page }) => {
  await signIn(page);
  await page.goto('/users');
  await hydrated(page);
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export CSV' }).click();
  const file = await (await download).path();
  const text = fs.readFileSync(file!, 'utf8');
  expect(text.split('\n')[0]).toBe('display_name,sign_in_name,department,enabled');
  expect(text).toContain('Annie Easley,annie@nasa.example,Engineering,true');
  expect(text.trim().split('\n')).toHaveLength(5);
});
