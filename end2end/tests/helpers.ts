import { expect, type Page } from '@playwright/test';

export const ADMIN = { org: 'Northwind Health', name: 'Grace Hopper', user: 'grace', password: 'correct horse battery' };

/** Collects console errors and failed responses; call `assertClean()` at the end of a test. */
export function watch(page: Page) {
  const problems: string[] = [];
  const expected = () => ((page as any).__expectedStatuses as number[] | undefined) ?? [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // Chromium logs every 4xx fetch; those the test expects are not problems.
    const status = /status of (\d{3})/.exec(m.text());
    if (status && expected().includes(Number(status[1]))) return;
    problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400 && !expected().includes(r.status())) {
      problems.push(`HTTP ${r.status()} ${r.url()}`);
    }
  });
  return {
    expectStatus(...codes: number[]) {
      (page as any).__expectedStatuses = codes;
    },
    assertClean() {
      expect(problems, problems.join('\n')).toEqual([]);
    },
  };
}

/** Waits until the WASM has hydrated the page. */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

export async function signIn(page: Page, user = ADMIN.user, password = ADMIN.password) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Sign-in name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
}

/** The second portal, started with --demo (months of history, every kind of alert). */
export const DEMO_BASE_URL = `http://127.0.0.1:${Number(process.env.LICENSEDESK_E2E_PORT ?? 3107) + 2}`;

/** Signs in to the demo portal as its Global admin. */
export async function signInDemo(page: Page) {
  await signIn(page, 'admin', 'demo-password-2026');
}
