import { hostname } from 'node:os';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { hasChromium, PHONE, sharedBrowser } from './fixtures/browser.js';
import { DashboardPage } from './fixtures/dashboard-page.js';
import { startStack } from './fixtures/stack.js';
import { waitFor } from './fixtures/wait.js';

/**
 * Records the page's notifications, and lets the test say whether the user looks at the page (a
 * headless tab is always "visible", so the test decides what `visibilityState` and focus report).
 */
async function instrument(page: Page): Promise<void> {
  await page.context().grantPermissions(['notifications']);
  await page.addInitScript(() => {
    const w = window as unknown as { onsemblAway: boolean; onsemblNotes: { title: string; body: string }[] };
    w.onsemblAway = false;
    w.onsemblNotes = [];
    Object.defineProperty(document, 'visibilityState', { get: () => (w.onsemblAway ? 'hidden' : 'visible') });
    document.hasFocus = () => !w.onsemblAway;
    const Real = window.Notification;
    class Recorded extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        w.onsemblNotes.push({ title, body: options?.body ?? '' });
      }
    }
    Object.defineProperty(Recorded, 'permission', { get: () => Real.permission });
    window.Notification = Recorded;
  });
}

const setAway = (page: Page, away: boolean) =>
  page.evaluate((value) => {
    (window as unknown as { onsemblAway: boolean }).onsemblAway = value;
    document.dispatchEvent(new Event('visibilitychange'));
  }, away);
const notes = (page: Page) => page.evaluate(() => (window as unknown as { onsemblNotes: { title: string; body: string }[] }).onsemblNotes);

describe.skipIf(!hasChromium)('attention: notifications, the tab title, the theme', { timeout: 120_000 }, () => {
  const browser = sharedBrowser();

  it('counts what finished or failed while the user was away in the title, and notifies when turned on', async () => {
    await using stack = await startStack(['alpha']);
    await using page = await browser().page();
    await instrument(page);
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    expect(await page.title()).toBe('Onsembl');

    // Off by default: the title still counts, nothing pops up.
    await setAway(page, true);
    await dashboard.run('echo quiet');
    await waitFor('the title to count it', async () => (await page.title()) === '(1) Onsembl');
    expect(await notes(page)).toEqual([]);
    await setAway(page, false);
    await waitFor('the count to clear', async () => (await page.title()) === 'Onsembl');

    // Turned on, and remembered across a reload.
    const toggle = page.getByTestId('notifications-toggle');
    await toggle.click();
    await expect(toggle.getAttribute('aria-pressed')).resolves.toBe('true');
    await page.reload();
    await dashboard.waitForAgent('alpha');
    await expect(page.getByTestId('notifications-toggle').getAttribute('aria-pressed')).resolves.toBe('true');

    await setAway(page, true);
    await dashboard.run('echo done-here');
    await dashboard.run('exit 3');
    await waitFor('two notifications', async () => (await notes(page)).length === 2);
    expect(await notes(page)).toEqual([
      { title: 'Finished on alpha', body: '"echo done-here" (exit 0)' },
      { title: 'Failed on alpha', body: '"exit 3" (exit 3)' },
    ]);
    expect(await page.title()).toBe('(2) Onsembl');

    // A lost connection is news too, once per outage.
    const port = await stack.server.kill();
    await waitFor('the outage notification', async () => (await notes(page)).length === 3, 30_000);
    expect((await notes(page))[2]?.title).toBe('Onsembl lost its connection');
    await waitFor('the title to say so', async () => /^\(3\) Onsembl · reconnecting$/.test(await page.title()));
    await stack.server.restart(port);
    await dashboard.waitForConnection('CONNECTED', 60_000);
    await setAway(page, false);
    await waitFor('the title to clear', async () => (await page.title()) === 'Onsembl');
    expect(await notes(page)).toHaveLength(3);
  });

  it('shows where each agent runs, and switches the theme (remembered) beside following the system', async () => {
    await using stack = await startStack(['alpha']);
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    await expect(dashboard.agent('alpha').getByTestId('agent-where').innerText()).resolves.toContain(hostname().slice(0, 20));

    const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    // The test browser reports a dark system: "system" is dark.
    expect(await page.getByTestId('theme').inputValue()).toBe('system');
    expect(await background()).toBe('rgb(11, 15, 20)');
    await page.getByTestId('theme').selectOption('light');
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    expect(await background()).toBe('rgb(238, 241, 245)');
    await dashboard.screenshot('light-desktop');
    await page.reload();
    await dashboard.waitForAgent('alpha');
    expect(await background()).toBe('rgb(238, 241, 245)');
    await page.getByTestId('theme').selectOption('system');
    expect(await background()).toBe('rgb(11, 15, 20)');

    // On a phone the top bar wraps instead of overflowing.
    await page.setViewportSize(PHONE);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
