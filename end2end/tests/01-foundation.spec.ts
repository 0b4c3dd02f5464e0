import { test, expect } from '@playwright/test';
import { ADMIN, hydrated, signIn, watch } from './helpers';

test.describe.configure({ mode: 'serial' });

test('a fresh portal sends visitors to setup, which creates the first Global admin', async ({ page }) => {
  const w = watch(page);
  await page.goto('/');
  await expect(page).toHaveURL(/\/setup$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Set up LicenseDesk' })).toBeVisible();

  // A broken rule shows the server's message next to its field.
  w.expectStatus(422);
  await page.getByLabel('Organization name').fill(ADMIN.org);
  await page.getByLabel('Display name').fill(ADMIN.name);
  await page.getByLabel('Sign-in name').fill(ADMIN.user);
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByLabel('Repeat password').fill('short');
  await page.getByRole('button', { name: 'Create admin' }).click();
  await expect(page.getByText('Password must be at least 12 characters long.')).toBeVisible();

  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByLabel('Repeat password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Create admin' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await expect(page.getByTestId('current-admin')).toHaveText(ADMIN.name);
  await expect(page.getByRole('banner')).toContainText(ADMIN.org);
  w.assertClean();
});

test('setup is closed once an admin exists', async ({ page }) => {
  await page.goto('/setup');
  await expect(page.getByText('Setup is complete')).toBeVisible();
});

test('sign in, open every navigation item, sign out', async ({ page }) => {
  const w = watch(page);
  await signIn(page);
  const nav = page.getByRole('navigation', { name: 'Main navigation' });
  const items: [string, string][] = [
    ['Store', 'Store connections'],
    ['Licenses', 'License overview'],
    ['Billing', 'Your products'],
    ['Users & groups', 'Users'],
    ['Settings', 'Admin accounts and roles'],
    ['Audit log', 'Audit log'],
    ['Dashboard', 'Dashboard'],
  ];
  for (const [link, heading] of items) {
    await nav.getByRole('link', { name: link, exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name: heading, exact: true })).toBeVisible();
    await expect(nav.getByRole('link', { name: link, exact: true })).toHaveAttribute('aria-current', 'page');
  }

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/settings/admins');
  await expect(page).toHaveURL(/\/login$/);
  w.assertClean();
});

test('a wrong password is refused with a clear message', async ({ page }) => {
  const w = watch(page);
  w.expectStatus(401);
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Sign-in name').fill(ADMIN.user);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('The sign-in name or password is not right.');
  await expect(page).toHaveURL(/\/login$/);
  w.assertClean();
});

test('admins: add a Reader, who reads the admin accounts but cannot change them', async ({ page, browser }) => {
  const w = watch(page);
  await signIn(page);
  await page.goto('/settings/admins');
  await hydrated(page);
  const add = page.getByRole('region', { name: 'Add admin' });
  await add.getByLabel('Display name').fill('Rita Reader');
  await add.getByLabel('Sign-in name').fill('rita');
  await add.getByLabel('Role').selectOption('reader');
  await add.getByLabel('Password').fill('reader password 1');
  await add.getByRole('button', { name: 'Add admin' }).click();
  await expect(page.getByRole('status')).toContainText('Admin added.');
  const row = page.locator('tr[data-admin="rita"]');
  await expect(row).toContainText('Rita Reader');

  // Disabling asks for confirmation in a real dialog.
  await row.getByRole('button', { name: 'Disable' }).click();
  const dialog = page.getByRole('dialog', { name: 'Disable admin account' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  w.assertClean();

  const readerContext = await browser.newContext();
  const reader = await readerContext.newPage();
  const rw = watch(reader);
  await signIn(reader, 'rita', 'reader password 1');
  // The Reader role reads everything (SPEC D-4), admin accounts included, and changes nothing.
  await reader.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Settings' }).click();
  await expect(reader).toHaveURL(/\/settings\/admins$/);
  await hydrated(reader);
  await expect(reader.getByRole('heading', { level: 1, name: 'Admin accounts and roles' })).toBeVisible();
  await expect(reader.locator('tr[data-admin="rita"]')).toContainText('Reader');
  await expect(reader.getByRole('region', { name: 'Add admin' })).toHaveCount(0);
  await expect(reader.getByRole('button', { name: 'Change role' })).toHaveCount(0);
  await expect(reader.getByRole('button', { name: 'Disable' })).toHaveCount(0);
  rw.assertClean();
  await readerContext.close();
});

test('the audit log lists sign-ins and admin changes, with filters', async ({ page }) => {
  const w = watch(page);
  await signIn(page);
  await page.goto('/audit');
  await hydrated(page);
  await expect(page.getByRole('cell', { name: 'admin.created' }).first()).toBeVisible();
  await page.getByLabel('Action').fill('auth.sign_in_failed');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/action=auth.sign_in_failed/);
  await expect(page.getByRole('cell', { name: 'auth.sign_in_failed' }).first()).toBeVisible();
  await expect(page.getByRole('cell', { name: 'admin.created' })).toHaveCount(0);
  w.assertClean();
});

test('unknown addresses get a real 404 page', async ({ page }) => {
  const res = await page.goto('/no/such/page');
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
});

test('sign-in works before the WASM loads (plain form post)', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('Sign-in name').fill(ADMIN.user);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await context.close();
});
