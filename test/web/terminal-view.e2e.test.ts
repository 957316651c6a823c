import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasChromium, sharedBrowser } from './fixtures/browser.js';
import { DashboardPage } from './fixtures/dashboard-page.js';
import { startStack } from './fixtures/stack.js';
import { waitFor } from './fixtures/wait.js';

/** Whether keyboard focus is inside the agent terminal (xterm's hidden textarea). */
const focusInTerminal = (dashboard: DashboardPage) =>
  dashboard.page.evaluate(() => document.querySelector('[data-testid="terminal"]')?.contains(document.activeElement) ?? false);

describe.skipIf(!hasChromium)('the live terminal and the output viewer', { timeout: 180_000 }, () => {
  const browser = sharedBrowser();

  it('Tab and Shift+Tab leave the terminal (no keyboard trap)', async () => {
    await using stack = await startStack(['alpha']);
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    await page.getByTestId('terminal').click();
    expect(await focusInTerminal(dashboard)).toBe(true);
    await page.keyboard.press('Tab');
    expect(await focusInTerminal(dashboard)).toBe(false);
    // Back into it from the next control, and out again the other way.
    await page.keyboard.press('Shift+Tab');
    expect(await focusInTerminal(dashboard)).toBe(true);
    await page.keyboard.press('Shift+Tab');
    expect(await focusInTerminal(dashboard)).toBe(false);
    // Reaching it with Tab from the page works as well, and Tab goes on from there.
    let entered = false;
    for (let i = 0; i < 40 && !entered; i++) {
      await page.keyboard.press('Tab');
      entered = await focusInTerminal(dashboard);
    }
    expect(entered).toBe(true);
    await page.keyboard.press('Tab');
    expect(await focusInTerminal(dashboard)).toBe(false);
  });

  it('a scrolled-up terminal offers "jump to latest" with a count of the new lines', async () => {
    await using stack = await startStack(['alpha']);
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    await dashboard.run('seq 1 300');
    await dashboard.waitForHistory('seq 1 300', 'completed');
    const jump = page.getByTestId('jump-to-latest');
    expect(await jump.count()).toBe(0);
    // The user scrolls up to read; new output must not pull them down, but must be announced.
    await page.getByTestId('terminal').hover();
    await page.mouse.wheel(0, -3_000);
    await dashboard.run('seq 1001 1040');
    await dashboard.waitForHistory('seq 1001 1040', 'completed');
    await jump.waitFor();
    // 40 lines of output, the start line and the outcome line.
    await waitFor('the count to reach 42', async () => /\((\d+) new lines\)/.exec(await jump.innerText())?.[1] === '42');
    // The view stayed where the user was (the terminal shows only its viewport's rows).
    await expect(dashboard.terminalText()).resolves.not.toContain('1040');
    await jump.click();
    await jump.waitFor({ state: 'detached' });
    await dashboard.waitForTerminalText('1040');
  });

  it('says where the live terminal trimmed old output and links to the full output in the history', async () => {
    await using stack = await startStack(['alpha']);
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    const note = page.getByTestId('terminal-trimmed');
    await dashboard.run('seq 1 3000');
    await dashboard.waitForHistory('seq 1 3000', 'completed');
    expect(await note.count()).toBe(0);
    // More than the 10,000 lines a live terminal keeps: the start of this command is dropped.
    await dashboard.run('seq 1 12000');
    await dashboard.waitForHistory('seq 1 12000', 'completed');
    await note.waitFor();
    const [big] = await stack.server.server.context.store.listCommands({ limit: 1 });
    const shortId = (big?.id ?? '').slice(0, 12);
    await expect(note.innerText()).resolves.toContain('keeps the last 10,000 lines');
    await expect(note.innerText()).resolves.toContain(`The full output of ${shortId}`);
    await note.getByRole('link').click();
    await dashboard.waitForOutputLoaded();
    await dashboard.waitForOutputText('12000');
  });

  it('says where the output viewer trimmed a very long output and offers the full download', async () => {
    await using stack = await startStack(['alpha']);
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    await dashboard.run('seq 1 120000');
    await dashboard.waitForHistory('seq 1 120000', 'completed');
    await dashboard.openHistory();
    await dashboard.openCommand('seq 1 120000');
    const note = page.getByTestId('output-trimmed');
    await note.waitFor();
    await expect(note.innerText()).resolves.toContain('keeps the last 100,000 of 120,000 lines');
    const download = page.waitForEvent('download');
    await page.getByTestId('output-trimmed-download').click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/\.log$/);
    const lines = readFileSync(await file.path(), 'utf8').split(/\r?\n/).filter((line) => line !== '');
    expect(lines).toHaveLength(120_000);
    expect([lines[0], lines.at(-1)]).toEqual(['1', '120000']);
  });
});
