import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { DEMO_BASE_URL, hydrated, signInDemo, watch } from './helpers';

// API tokens in Settings and the API reference page (SPEC X-4), against the demo portal.
test.use({ baseURL: DEMO_BASE_URL });
test.describe.configure({ mode: 'serial' });

test('a Global admin creates a token, sees it once, uses it and revokes it', async ({ page }) => {
  const w = watch(page);
  await signInDemo(page);
  await page.goto('/settings/api-tokens');
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1, name: 'API tokens' })).toBeVisible();

  const form = page.getByRole('region', { name: 'Create token' });
  await form.getByLabel('Name').fill('Playwright <script>');
  await form.getByLabel('Role').selectOption('reader');
  await form.getByLabel('Expires after (days)').fill('30');
  await form.getByRole('button', { name: 'Create token' }).click();

  const secretBox = page.getByRole('region', { name: 'Copy the new token now' });
  const secret = (await secretBox.getByTestId('once-secret').innerText()).trim();
  expect(secret).toMatch(/^ldt_[A-Za-z0-9_-]{40,}$/);
  const table = page.getByRole('table', { name: 'API tokens, newest first' });
  const row = table.locator('tbody tr').filter({ hasText: 'Playwright <script>' });
  await expect(row).toContainText('Active');
  await expect(row).toContainText(secret.slice(0, 8));
  await expect(row).not.toContainText(secret);

  // The token works for the API — and the browser's own session does not.
  const withToken = await page.request.get('/api/v1/users', { headers: { authorization: `Bearer ${secret}` } });
  expect(withToken.status()).toBe(200);
  expect((await withToken.json()).items.length).toBeGreaterThan(0);
  const withSession = await page.request.get('/api/v1/users');
  expect(withSession.status()).toBe(401);
  expect(withSession.headers()['content-type']).toBe('application/problem+json');
  const readerWrite = await page.request.post('/api/v1/groups', {
    headers: { authorization: `Bearer ${secret}` },
    data: { name: 'Not allowed' },
  });
  expect(readerWrite.status()).toBe(403);

  // Shown once: gone after dismissing, and not on the page after a reload.
  await secretBox.getByRole('button', { name: 'I have copied it' }).click();
  await expect(secretBox).toHaveCount(0);
  await page.reload();
  await hydrated(page);
  await expect(page.getByText(secret)).toHaveCount(0);

  await table.locator('tbody tr').filter({ hasText: 'Playwright <script>' }).getByRole('button', { name: 'Revoke' }).click();
  const dialog = page.getByRole('dialog', { name: 'Revoke token' });
  await expect(dialog).toContainText('Playwright <script>');
  await dialog.getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Token revoked.' })).toBeVisible();
  await expect(table.locator('tbody tr').filter({ hasText: 'Playwright <script>' })).toContainText('Revoked');
  const revoked = await page.request.get('/api/v1/users', { headers: { authorization: `Bearer ${secret}` } });
  expect(revoked.status()).toBe(401);
  w.assertClean();
});

test('the API reference page renders the document with nothing from elsewhere', async ({ page }) => {
  const problems: string[] = [];
  const outside: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // Redoc's footer tries a logo from its CDN; the page's policy blocks it (and that is all).
    if (m.type() === 'error' && !m.text().includes('cdn.redoc.ly')) problems.push(m.text());
  });
  // Anything fetched from elsewhere (the blocked logo never finishes).
  page.on('requestfinished', (r) => {
    if (!r.url().startsWith(`${DEMO_BASE_URL}/`) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) {
      outside.push(r.url());
    }
  });
  const res = await page.goto('/api/docs');
  expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
  await expect(page.getByRole('heading', { name: /LicenseDesk API/ }).first()).toBeVisible();
  await expect(page.getByText('/api/v1/users').first()).toBeVisible();
  expect(outside).toEqual([]);
  expect(problems).toEqual([]);
});

test('the settings pages have no serious accessibility violations', async ({ page }) => {
  await signInDemo(page);
  await page.goto('/settings/api-tokens');
  await hydrated(page);
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  const serious = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious).toEqual([]);
});
