import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnsemblClient } from '@onsembl/client';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { hasChromium, PHONE, sharedBrowser } from './fixtures/browser.js';
import { DashboardPage } from './fixtures/dashboard-page.js';
import { startStack } from './fixtures/stack.js';
import { waitFor } from './fixtures/wait.js';

const COLOURS = "printf '\\033[32mgreen line\\033[0m\\n'; seq 101 112; printf '\\033[1;31mred end\\033[0m\\n'";

/** Runs commands from Node through the client library (faster than the form for many of them). */
async function runAll(url: string, token: string, agentName: string, commands: string[]): Promise<void> {
  const client = new OnsemblClient({ url, token, WebSocket, clientInfo: { name: 'history-e2e' } });
  try {
    client.connect();
    const agent = await waitFor(`agent ${agentName}`, () => client.agents.find((a) => a.name === agentName && a.status === 'online'));
    const finals = new Set<string>();
    client.on('status', (s) => ['completed', 'failed', 'cancelled', 'timeout'].includes(s.status) && finals.add(s.commandId));
    const ids = await Promise.all(commands.map((command) => client.requestCommand({ agentId: agent.id, command, priority: 'normal' })));
    await waitFor(`${commands.length} commands to finish`, () => ids.every((id) => finals.has(id)), 60_000);
  } finally {
    client.close();
  }
}

describe.skipIf(!hasChromium)('history view in a real browser', { timeout: 180_000 }, () => {
  const browser = sharedBrowser();

  it('finds past commands after a reload, filters them, and shows one with its full coloured output', async () => {
    await using stack = await startStack(['alpha', 'beta']);
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('beta');
    await dashboard.selectAgent('alpha');
    await dashboard.run('echo history-one');
    await dashboard.waitForHistory('echo history-one', 'completed');
    await dashboard.run(COLOURS);
    await dashboard.waitForHistory('green line', 'completed');
    await dashboard.run('ls /nonexistent-history-path');
    await dashboard.waitForHistory('ls /nonexistent-history-path', 'failed');
    await dashboard.selectAgent('beta');
    await dashboard.run('echo beta-says-hi');
    await dashboard.waitForHistory('echo beta-says-hi', 'completed');

    // A reload forgets everything the page saw: what follows comes from the server's store.
    await page.reload();
    await dashboard.waitForConnection('CONNECTED');
    await dashboard.waitForAgent('alpha');
    await dashboard.selectAgent('alpha');
    // The side History is seeded from the store too.
    await dashboard.waitForHistory('echo history-one', 'completed');

    await dashboard.openHistory();
    await dashboard.waitForHistoryCommands(['echo beta-says-hi', 'ls /nonexistent-history-path', COLOURS, 'echo history-one']);
    const failed = dashboard.historyEntry('ls /nonexistent-history-path');
    await expect(failed.getByTestId('history-entry-exit').innerText()).resolves.toBe('2');
    await expect(failed.innerText()).resolves.toContain('e2e-user');

    await dashboard.searchHistory('printf');
    await dashboard.waitForHistoryCommands([COLOURS]);
    await dashboard.searchHistory('');
    await dashboard.toggleHistoryStatus('failed');
    await dashboard.waitForHistoryCommands(['ls /nonexistent-history-path']);
    await dashboard.toggleHistoryStatus('failed');
    await page.getByTestId('history-agent').selectOption({ label: 'beta' });
    await dashboard.waitForHistoryCommands(['echo beta-says-hi']);
    await page.getByTestId('history-agent').selectOption({ label: 'All agents' });
    await dashboard.waitForHistoryCommands(['echo beta-says-hi', 'ls /nonexistent-history-path', COLOURS, 'echo history-one']);
    await dashboard.screenshot('history-list-desktop');

    const viewer = await dashboard.openCommand('green line');
    await expect(page.getByTestId('detail-exit').innerText()).resolves.toBe('0');
    const expected = ['green line', ...Array.from({ length: 12 }, (_, i) => String(101 + i)), 'red end'];
    const text = await dashboard.waitForOutputText('red end');
    expect(text.split('\n').map((line) => line.trim()).filter(Boolean)).toEqual(expected);
    await expect(viewer.getByTestId('output-stats').innerText()).resolves.toMatch(/^14 lines · /);
    // Colours are rendered, not shown as escape codes.
    await expect(viewer.locator('.xterm-rows span.xterm-fg-2', { hasText: 'green line' }).count()).resolves.toBe(1);
    // Bold red: xterm draws bold text in the bright variant (colour 9).
    await expect(viewer.locator('.xterm-rows span.xterm-bold.xterm-fg-9', { hasText: 'red end' }).count()).resolves.toBe(1);

    // The open command is in the address, so a reload comes back to it.
    await page.reload();
    await dashboard.waitForOutputLoaded();
    await dashboard.waitForOutputText('red end');
    await dashboard.waitForHistoryCommands(['echo beta-says-hi', 'ls /nonexistent-history-path', COLOURS, 'echo history-one']);
    await dashboard.screenshot('history-desktop');
    expect(page.uncaughtErrors).toEqual([]);

    await using phone = await browser().page(PHONE);
    const small = new DashboardPage(phone);
    await small.open(stack.server.httpUrl, stack.token, '#/history');
    await small.waitForHistoryCommands(['echo beta-says-hi', 'ls /nonexistent-history-path', COLOURS, 'echo history-one']);
    await small.screenshot('history-phone');
    await small.openCommand('ls /nonexistent-history-path');
    await small.waitForOutputText('No such file or directory');
    await small.screenshot('history-phone-detail');
    await phone.getByTestId('detail-close').click();
    await small.waitForHistoryCommands(['echo beta-says-hi', 'ls /nonexistent-history-path', COLOURS, 'echo history-one']);
    expect(phone.uncaughtErrors).toEqual([]);
  });

  it('pages through older commands without losing or repeating any', async () => {
    await using stack = await startStack(['alpha']);
    const commands = Array.from({ length: 64 }, (_, i) => `echo bulk-${String(i + 1).padStart(2, '0')}`);
    // Requested together: many share a millisecond, which a page boundary must not split badly.
    await runAll(stack.server.dashboardUrl, stack.token, 'alpha', commands);
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token, '#/history');
    await waitFor('the first page', async () => (await dashboard.historyCommands()).length === 50);
    await expect(page.getByTestId('history-count').innerText()).resolves.toBe('50 commands (more older)');
    await page.getByTestId('history-more').click();
    await dashboard.waitForHistoryCommands([...commands].reverse());
    await expect(page.getByTestId('history-more').count()).resolves.toBe(0);
    expect(page.uncaughtErrors).toEqual([]);
  });

  it('follows a running command live, and a reloaded dashboard shows what it printed before', async () => {
    await using stack = await startStack(['alpha']);
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    const dir = await mkdtemp(join(tmpdir(), 'onsembl-history-'));
    const go = join(dir, 'go');
    try {
      await dashboard.open(stack.server.httpUrl, stack.token);
      await dashboard.waitForAgent('alpha');
      // Prints two lines, waits for the test's signal, then prints four more.
      await dashboard.run(`echo tick-1; echo tick-2; while [ ! -e ${go} ]; do sleep 0.05; done; for i in 3 4 5 6; do echo tick-$i; sleep 0.1; done`);
      await dashboard.waitForTerminalText('tick-2');

      // The live terminal after a reload: the running command's earlier output comes from the store.
      await page.reload();
      await dashboard.waitForConnection('CONNECTED');
      const terminal = await dashboard.waitForTerminalText(/loaded from the server[\s\S]*tick-1[\s\S]*tick-2/);
      expect(terminal.match(/tick-1/g)).toHaveLength(2); // in the command line, and its output once

      // The history view shows it so far, then follows it live until it ends, each line once.
      await dashboard.openHistory();
      await dashboard.historyEntry('tick-1').first().getByTestId('history-entry-command').click();
      const viewer = await dashboard.waitForOutputLoaded();
      await dashboard.waitForOutputText('tick-2');
      await expect(viewer.getByTestId('output-stats').innerText()).resolves.toContain('following live');
      await writeFile(go, '');
      const output = await dashboard.waitForOutputText('tick-6');
      expect(output.split('\n').map((line) => line.trim()).filter(Boolean)).toEqual(['tick-1', 'tick-2', 'tick-3', 'tick-4', 'tick-5', 'tick-6']);
      await page.locator('[data-testid="command-detail"][data-status="completed"]').waitFor();
      await page.getByTestId('nav-live').click();
      await dashboard.waitForTerminalText(/tick-2[\s\S]*tick-6[\s\S]*── completed/);
      expect(page.uncaughtErrors).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
