import { describe, expect, it } from 'vitest';
import { hasChromium, sharedBrowser } from './fixtures/browser.js';
import { DashboardPage } from './fixtures/dashboard-page.js';
import { startStack } from './fixtures/stack.js';

/** Marks the document, so the test can tell that the page was never reloaded. */
const markDocument = (dashboard: DashboardPage) => dashboard.page.evaluate(() => Object.assign(window, { onsemblSameDocument: true }));
const sameDocument = (dashboard: DashboardPage) =>
  dashboard.page.evaluate(() => (window as unknown as { onsemblSameDocument?: boolean }).onsemblSameDocument === true);

describe.skipIf(!hasChromium)('reconnecting', { timeout: 180_000 }, () => {
  const browser = sharedBrowser();

  it('shows RECONNECTING with a countdown while the server is down, then CONNECTED without a reload', async () => {
    await using stack = await startStack(['alpha']);
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    await dashboard.run('echo before-restart');
    await dashboard.waitForTerminalText('before-restart');
    await markDocument(dashboard);

    const port = await stack.server.kill();
    await dashboard.waitForConnection('RECONNECTING');
    await page.getByTestId('retry-countdown').waitFor();
    await dashboard.screenshot('reconnecting-desktop');
    await stack.server.restart(port);

    await dashboard.waitForConnection('CONNECTED', 60_000);
    await expect(sameDocument(dashboard)).resolves.toBe(true);
    await dashboard.waitForAgent('alpha', 'online');
    await dashboard.run('echo after-restart');
    // The terminal kept what it showed before the restart.
    await dashboard.waitForTerminalText(/before-restart[\s\S]*after-restart/);
    expect(page.pageErrors).toEqual([]);
  });

  it('stops after 5 failed attempts and offers Reconnect', async () => {
    await using stack = await startStack(['alpha']);
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    await markDocument(dashboard);

    const port = await stack.server.kill();
    // Immediate retry, then 1, 2, 4, 8 s (±20 %): about 15 s until the client gives up.
    await dashboard.waitForConnection('DISCONNECTED', 60_000);
    await expect(page.getByTestId('connection-detail').innerText()).resolves.toBe('gave up after 5 failed attempts');
    const reconnect = page.getByTestId('reconnect');
    await expect(reconnect.innerText()).resolves.toBe('Reconnect');
    await dashboard.screenshot('gave-up-desktop');

    await stack.server.restart(port);
    await reconnect.click();
    await dashboard.waitForConnection('CONNECTED');
    await dashboard.waitForAgent('alpha', 'online');
    await expect(sameDocument(dashboard)).resolves.toBe(true);
  });
});
