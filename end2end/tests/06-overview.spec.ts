import { test, expect, type Page } from '@playwright/test';
import { DEMO_BASE_URL, hydrated, signInDemo, watch } from './helpers';

// Alerts (SPEC X-2) run against the demo portal: its seed leaves conditions that raise alerts
// (an overdue invoice, an Apple token due for renewal, an agreement about to end, renewals)
// and evaluates them once at the end of seeding.
test.use({ baseURL: DEMO_BASE_URL });
test.describe.configure({ mode: 'serial' });

/** The open count in the top bar's accessible name ("Alerts: 3 open, 1 critical"). */
async function openCount(page: Page): Promise<number> {
  const label = (await page.getByTestId('alerts-link').getAttribute('aria-label')) ?? '';
  const match = /Alerts: (\d+) open/.exec(label);
  return match ? Number(match[1]) : 0;
}

/** A date `days` from today (UTC), as the date field takes it. */
function daysAhead(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

test('the demo admin acknowledges and snoozes alerts; they leave the open list and the count', async ({ page }) => {
  const w = watch(page);
  w.expectStatus(422);
  await signInDemo(page);

  // The dashboard leads with the open alerts.
  const section = page.getByRole('region', { name: 'Open alerts' });
  await expect(section.getByRole('listitem').first()).toBeVisible();
  await section.getByRole('link', { name: 'See all alerts' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Alerts' })).toBeVisible();

  // Open alerts, most severe first; the top bar counts them.
  await page.goto('/alerts');
  await hydrated(page);
  const table = page.getByRole('table', { name: 'Alerts' });
  const rows = table.locator('tbody tr');
  await expect(rows.first()).toBeVisible();
  const shown = await rows.count();
  const before = await openCount(page);
  expect(before).toBe(shown);
  await expect(page.getByTestId('alerts-link')).toHaveAttribute('aria-label', /^Alerts: \d+ open/);

  // Acknowledge the first: it leaves the open list and the count drops by one.
  const first = rows.first();
  const title = (await first.locator('td').nth(1).innerText()).trim();
  await first.getByRole('button', { name: 'Acknowledge' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Alert acknowledged.' })).toBeVisible();
  await expect(table.getByRole('link', { name: title, exact: true })).toHaveCount(0);
  await expect.poll(() => openCount(page)).toBe(before - 1);

  // It is listed as acknowledged, by whom.
  await page.getByRole('navigation', { name: 'Show' }).getByRole('link', { name: 'Acknowledged' }).click();
  await expect(page).toHaveURL(/state=acknowledged/);
  const acked = table.locator('tbody tr').filter({ hasText: title });
  await expect(acked).toContainText('Acknowledged by admin at');

  // Snooze the next open one: a past date is refused at the field, a date ahead snoozes it.
  await page.goto('/alerts');
  await hydrated(page);
  const next = rows.first();
  const nextTitle = (await next.locator('td').nth(1).innerText()).trim();
  const date = next.getByLabel('Snooze until');
  await date.fill('2020-01-01');
  await next.getByRole('button', { name: 'Snooze', exact: true }).click();
  await expect(next.locator('.field-error')).toContainText('after today');
  await expect(date).toHaveAttribute('aria-invalid', 'true');
  const until = daysAhead(7);
  await date.fill(until);
  await next.getByRole('button', { name: 'Snooze', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: `Alert snoozed until ${until}.` })).toBeVisible();
  await expect(table.getByRole('link', { name: nextTitle, exact: true })).toHaveCount(0);
  await expect.poll(() => openCount(page)).toBe(before - 2);

  await page.getByRole('navigation', { name: 'Show' }).getByRole('link', { name: 'Snoozed' }).click();
  await expect(table.locator('tbody tr').filter({ hasText: nextTitle })).toContainText(`Snoozed until ${until}`);

  // The area filter narrows the list.
  await page.getByRole('navigation', { name: 'Area' }).getByRole('link', { name: 'Billing' }).click();
  await expect(page).toHaveURL(/area=billing/);
  w.assertClean();
});
