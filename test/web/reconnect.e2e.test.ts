import { describe, expect, it } from 'vitest';
import { hasChromium, sharedBrowser, TestBrowser } from './fixtures/browser.js';
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
    expect(page.uncaughtErrors).toEqual([]);
  });

  it('after 5 failed attempts offers Retry now and keeps trying; the browser coming back online connects at once', async () => {
    await using stack = await startStack(['alpha']);
    // A browser of its own: the test takes control of the page's clock, and a clock belongs to the
    // whole browser context. It runs on real time until paused.
    await using own = await TestBrowser.launch();
    await using page = await own.page();
    await page.clock.install();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    await markDocument(dashboard);

    const port = await stack.server.kill();
    // Immediate retry, then 1, 2, 4, 8 s (±20 %): about 15 s until the fifth failure. It does not
    // give up there: it says so, offers Retry now, and schedules the next attempt (16 s, then 30 s).
    const detail = page.getByTestId('connection-detail');
    await detail.filter({ hasText: '5 attempts failed; still trying' }).waitFor({ timeout: 60_000 });
    expect(await dashboard.connectionState()).toBe('RECONNECTING');
    await expect(page.getByTestId('reconnect').innerText()).resolves.toBe('Retry now');
    await page.getByTestId('retry-countdown').waitFor();
    await dashboard.screenshot('still-trying-desktop');

    // From here the page's clock stands still, so its scheduled retry (16 s ± 20 % after the fifth
    // failure, still pending: the countdown shows) cannot fire, and a connection can only come from
    // the page hearing `online` and trying at once.
    await page.clock.pauseAt(await page.evaluate(() => Date.now() + 1_000));
    await page.getByTestId('retry-countdown').waitFor();
    await stack.server.restart(port);
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await dashboard.waitForConnection('CONNECTED');
    await page.clock.resume();
    await dashboard.waitForAgent('alpha', 'online');
    await expect(sameDocument(dashboard)).resolves.toBe(true);
  });

  it('recovers from a long server outage (6 failed attempts, the next one 30 s away) by itself, without a click', async () => {
    await using stack = await startStack(['alpha']);
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    await dashboard.run('echo before-outage');
    await dashboard.waitForTerminalText('before-outage');
    await markDocument(dashboard);

    const port = await stack.server.kill();
    await dashboard.waitForConnection('RECONNECTING');
    // Immediate retry, then 1, 2, 4, 8, 16 s (±20 %): the sixth failure comes after about 31 s, and
    // from there the attempts are 30 s apart, the longest step.
    await page.getByTestId('connection-detail').filter({ hasText: '6 attempts failed; still trying' }).waitFor({ timeout: 60_000 });
    expect(await dashboard.connectionState()).toBe('RECONNECTING');
    await stack.server.restart(port);
    // The next scheduled attempt is at most 30 s + 20 % away; no input of any kind reaches the page.
    await dashboard.waitForConnection('CONNECTED', 45_000);
    await dashboard.waitForAgent('alpha', 'online');
    await dashboard.run('echo after-outage');
    await dashboard.waitForTerminalText(/before-outage[\s\S]*after-outage/);
    await expect(sameDocument(dashboard)).resolves.toBe(true);
  });
});
