import { describe, expect, it } from 'vitest';
import { DESKTOP, hasChromium, PHONE, sharedBrowser } from './fixtures/browser.js';
import { DashboardPage, screenshot } from './fixtures/dashboard-page.js';
import { startStack } from './fixtures/stack.js';

const swatchColor = (dashboard: DashboardPage, name: string) =>
  dashboard.agent(name).locator('.agent-swatch').evaluate((element) => getComputedStyle(element).backgroundColor);

describe.skipIf(!hasChromium)('two agents', { timeout: 120_000 }, () => {
  const browser = sharedBrowser();

  it('drives two agents from the UI, each terminal keeping its own history', async () => {
    await using stack = await startStack(['alpha', 'beta']);
    await using page = await browser().page(DESKTOP);
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    await dashboard.waitForAgent('beta');
    expect(await swatchColor(dashboard, 'alpha')).not.toBe(await swatchColor(dashboard, 'beta'));

    await dashboard.selectAgent('alpha');
    await dashboard.run('echo from-alpha; echo alpha-line-2');
    await dashboard.waitForTerminalText('alpha-line-2', 'alpha');
    await dashboard.selectAgent('beta');
    await dashboard.run('echo from-beta');
    const beta = await dashboard.waitForTerminalText('from-beta', 'beta');
    expect(beta).not.toContain('from-alpha');

    await dashboard.selectAgent('alpha');
    const alpha = await dashboard.terminalText('alpha');
    expect(alpha).toContain('alpha-line-2');
    expect(alpha).not.toContain('from-beta');
    await dashboard.waitForHistory('echo from-alpha', 'completed');

    // Search the scrollback: the command line and its output both match.
    await page.getByTestId('terminal-search').fill('from-alpha');
    await expect(page.getByTestId('search-count').innerText()).resolves.toMatch(/^[12]\/2$/);
    await dashboard.screenshot('agents-desktop');
  });

  it('stacks the layout on a phone-sized screen', async () => {
    await using stack = await startStack(['alpha', 'beta']);
    await using page = await browser().page(PHONE);
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('beta');
    await dashboard.selectAgent('beta');
    await dashboard.run('sleep 30');
    await dashboard.running().filter({ hasText: 'sleep 30' }).waitFor();
    await dashboard.run('echo queued-on-phone');
    await dashboard.queueEntries().first().waitFor();
    await page.getByTestId('interrupt').click();
    await dashboard.waitForTerminalText('queued-on-phone', 'beta');
    await dashboard.waitForHistory('queued-on-phone', 'completed');
    // Nothing is wider than the screen.
    await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(PHONE.width);
    await dashboard.screenshot('dashboard-phone');
    await screenshot(page, 'dashboard-phone-full', { fullPage: true });
  });
});
