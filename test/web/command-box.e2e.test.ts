import { Limits } from '@onsembl/protocol';
import { describe, expect, it } from 'vitest';
import { hasChromium, sharedBrowser } from './fixtures/browser.js';
import { DashboardPage } from './fixtures/dashboard-page.js';
import { startStack } from './fixtures/stack.js';
import { waitFor } from './fixtures/wait.js';

describe.skipIf(!hasChromium)('the command box in a real browser', { timeout: 120_000 }, () => {
  const browser = sharedBrowser();

  it('refuses a command over 10,000 characters with a counter and never runs a cut one', async () => {
    await using stack = await startStack(['alpha']);
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    const input = page.getByTestId('command-input');
    // Pasted at once, as a user would: the box keeps every character instead of cutting at the limit.
    const long = `echo ${'x'.repeat(Limits.commandMaxChars)}`;
    await input.fill(long);
    expect((await input.inputValue()).length).toBe(long.length);
    await expect(page.getByTestId('command-counter').innerText()).resolves.toBe('10,005 / 10,000');
    await expect(page.getByTestId('command-too-long').innerText()).resolves.toContain('Too long by 5 characters');
    expect(await page.getByTestId('command-run').isDisabled()).toBe(true);
    await input.press('Enter');
    // Nothing was sent: the history stays empty and the text is still there, whole.
    expect(await stack.server.server.context.store.listCommands({ limit: 10 })).toHaveLength(0);
    expect((await input.inputValue()).length).toBe(long.length);
    // Back under the limit, it runs.
    await input.fill('echo short-enough');
    expect(await page.getByTestId('command-run').isDisabled()).toBe(false);
    await page.getByTestId('command-run').click();
    await dashboard.waitForTerminalText('short-enough');
  });

  it('runs a multi-line command with Shift+Enter, and Up recalls earlier commands', async () => {
    await using stack = await startStack(['alpha']);
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    const input = page.getByTestId('command-input');
    await input.click();
    await page.keyboard.type('echo line-$((1+1))');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('echo line-$((2+1))');
    expect(await input.inputValue()).toBe('echo line-$((1+1))\necho line-$((2+1))');
    await page.keyboard.press('Enter');
    await dashboard.waitForTerminalText('line-3');
    await expect(dashboard.terminalText()).resolves.toContain('line-2');
    await waitFor('the box to clear', async () => (await input.inputValue()) === '');

    await dashboard.run('echo third');
    await input.click();
    await page.keyboard.press('ArrowUp');
    expect(await input.inputValue()).toBe('echo third');
    await page.keyboard.press('ArrowUp');
    expect(await input.inputValue()).toBe('echo line-$((1+1))\necho line-$((2+1))');
    // Down on the last line goes forward again, then back to the (empty) draft.
    await page.keyboard.press('ArrowDown');
    expect(await input.inputValue()).toBe('echo third');
    await page.keyboard.press('ArrowDown');
    expect(await input.inputValue()).toBe('');
    // Recall survives a reload (this browser's own list).
    await page.reload();
    await dashboard.waitForAgent('alpha');
    await page.getByTestId('command-input').click();
    await page.keyboard.press('ArrowUp');
    expect(await page.getByTestId('command-input').inputValue()).toBe('echo third');
  });

  it('a rate-limit refusal says when the next request is allowed and keeps the command', async () => {
    await using stack = await startStack(['alpha'], { commandsPerMinute: 2 });
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    await dashboard.run('echo one');
    await dashboard.run('echo two');
    await dashboard.submit('echo three');
    const refusal = page.getByTestId('command-rate-limited');
    await refusal.waitFor();
    const seconds = Number(/next one in (\d+) s/.exec(await refusal.innerText())?.[1]);
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(60);
    await expect(page.getByTestId('command-run').innerText()).resolves.toMatch(/^Run \(in \d+ s\)$/);
    expect(await page.getByTestId('command-run').isDisabled()).toBe(true);
    expect(await page.getByTestId('command-input').inputValue()).toBe('echo three');
  });
});
