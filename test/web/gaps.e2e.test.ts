import { HistoryApi, OnsemblClient } from '@onsembl/client';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { hasChromium, sharedBrowser } from './fixtures/browser.js';
import { DashboardPage } from './fixtures/dashboard-page.js';
import { startPrinter } from './fixtures/printer.js';
import { startStack } from './fixtures/stack.js';
import { waitFor } from './fixtures/wait.js';

/** The numbers of the printer's lines that start in `text` (a line begins with 7 digits and a space). */
const lineNumbers = (text: string) => [...text.matchAll(/(?:^|\n)(\d{7}) /g)].map((m) => Number(m[1]));

describe.skipIf(!hasChromium)('a dashboard that falls behind', { timeout: 240_000 }, () => {
  const browser = sharedBrowser();

  it('fills the output the server dropped for it (output:gap) from the store, in place', async () => {
    await using stack = await startStack(['alpha'], { dashboardSendBufferBytes: 16 * 1024 });
    await using printer = await startPrinter({ perBurst: 2_000, pauseMs: 0, maxLines: 100_000_000 });
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    const api = new HistoryApi({ baseUrl: stack.server.httpUrl, token: stack.token });
    const lastStored = async (commandId: string) => (await api.outputChunks(commandId, { after: 1e9, limit: 1 })).lastSequence;
    const filled = async () => Number(await dashboard.page.getByTestId('terminal').getAttribute('data-filled'));

    // Freeze the page's JavaScript (a debugger pause) before the flood starts: it stops taking
    // messages, the socket buffers fill, and the server drops this dashboard's oldest output. How
    // much the buffers absorb depends on the machine, so each round holds back twice as much.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Debugger.enable');
    await cdp.send('Debugger.pause');
    const other = new OnsemblClient({ url: stack.server.dashboardUrl, token: stack.token, WebSocket });
    using _closeOther = { [Symbol.dispose]: () => other.close() };
    other.connect();
    const agent = await waitFor('the agent', () => other.agents.find((a) => a.name === 'alpha' && a.status === 'online'));
    const commandId = await other.requestCommand({ agentId: agent.id, command: printer.command, priority: 'normal' });
    for (let round = 0, hold = 200, from = 0; ; round++, hold *= 2) {
      expect(round, 'the server never dropped output for a frozen dashboard').toBeLessThan(6);
      if (round > 0) {
        from = await lastStored(commandId);
        await cdp.send('Debugger.pause');
      }
      await waitFor(`${hold} more chunks stored`, async () => (await lastStored(commandId)) >= from + hold, 120_000);
      const stored = await api.outputChunks(commandId, { after: from + hold - 1, limit: 1 });
      const target = lineNumbers(stored.chunks[0]?.data ?? '').at(-1) ?? 0;
      await cdp.send('Debugger.resume');
      // Either the gap was filled, or the page caught up with what was stored while it was frozen.
      await waitFor('the page to catch up', async () => (await filled()) > 0 || (lineNumbers(await dashboard.terminalText()).at(-1) ?? 0) >= target, 60_000);
      if ((await filled()) > 0) {
        console.info(`frozen dashboard: output dropped and filled from the store after ${round + 1} round(s), ${await lastStored(commandId)} chunks stored`);
        break;
      }
    }
    await cdp.send('Debugger.disable');
    await printer.stop();
    await dashboard.waitForHistory('stty -opost', 'completed');
    const text = await dashboard.waitForTerminalText(/END \d+/);
    // The end of the stream, in order, right up to END.
    const tail = lineNumbers(text);
    expect(tail.length).toBeGreaterThan(3);
    expect(tail).toEqual(tail.map((_, i) => tail[0]! + i));
    expect(Number(/END (\d+)/.exec(text)?.[1])).toBe(tail.at(-1));
    await expect(page.getByTestId('load-missing').count()).resolves.toBe(0);
    expect(page.uncaughtErrors).toEqual([]);
  });
});
