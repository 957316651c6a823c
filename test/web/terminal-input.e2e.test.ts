import { describe, expect, it } from 'vitest';
import { hasChromium, sharedBrowser } from './fixtures/browser.js';
import { DashboardPage } from './fixtures/dashboard-page.js';
import { startStack } from './fixtures/stack.js';
import { waitFor } from './fixtures/wait.js';

/** The live terminal's size in characters, as xterm laid it out. */
const terminalSize = async (dashboard: DashboardPage) => {
  const host = dashboard.page.getByTestId('terminal');
  return { cols: Number(await host.getAttribute('data-cols')), rows: Number(await host.getAttribute('data-rows')) };
};

describe.skipIf(!hasChromium)('typing into a command, and its terminal size', { timeout: 120_000 }, () => {
  const browser = sharedBrowser();

  it('gives the PTY the dashboard\'s size, and the focused viewer\'s resize follows', async () => {
    await using stack = await startStack(['alpha']);
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    const before = await terminalSize(dashboard);
    expect(before.cols).not.toBe(120); // the old fixed width; the layout gives something else
    await dashboard.run('echo "size: $(stty size)"');
    await dashboard.waitForTerminalText(`size: ${before.rows} ${before.cols}`);

    await dashboard.run('sleep 2; echo "later: $(stty size)"');
    await dashboard.running().filter({ hasText: 'sleep 2' }).waitFor();
    await page.setViewportSize({ width: 1000, height: 700 });
    const after = await waitFor('the terminal to reflow', async () => {
      const size = await terminalSize(dashboard);
      return size.cols < before.cols ? size : undefined;
    });
    await dashboard.waitForTerminalText(`later: ${after.rows} ${after.cols}`);
  });

  it('marks a command waiting at a prompt, takes what the user types, and lets them leave with Esc Esc', async () => {
    await using stack = await startStack(['alpha']);
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    await dashboard.run('printf "name? "; read n; echo "hello $n, bye"');
    await page.getByTestId('waiting-for-input').waitFor();
    await expect(dashboard.running().innerText()).resolves.toContain('waiting for input');

    const toggle = page.getByTestId('terminal-type');
    await toggle.click();
    await expect(toggle.getAttribute('aria-pressed')).resolves.toBe('true');
    await page.keyboard.type('bob');
    // Tab belongs to the program while typing (no focus change), and reaches it.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.querySelector('[data-testid="terminal"]')?.contains(document.activeElement))).toBe(true);
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Enter');
    await dashboard.waitForTerminalText('hello bob, bye');
    await dashboard.waitForHistory('printf "name? "', 'completed');
    await page.getByTestId('waiting-for-input').waitFor({ state: 'detached' });
    // Its run ended, so typing ended with it.
    await toggle.waitFor({ state: 'detached' });

    // The first Escape of the two still reaches the program (vim needs its Esc): `read b` gets it.
    await dashboard.run('read a; read b; echo "got $a and $(printf %s "$b" | tr -d "\\033")"');
    await page.getByTestId('terminal-type').click();
    await page.keyboard.type('one');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('terminal-type').getAttribute('aria-pressed')).resolves.toBe('false');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('terminal-type');
    // Keys no longer go to the command; typing again resumes.
    await page.keyboard.type('ignored');
    await page.getByTestId('terminal-type').click();
    await page.keyboard.type('two');
    await page.keyboard.press('Enter');
    await dashboard.waitForTerminalText('got one and two');
  });
});
