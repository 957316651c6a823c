import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Limits } from '@onsembl/protocol';
import { connectRawAgent } from '../support/raw-agent.js';
import { startTestServer } from '../support/test-server.js';
import { openDashboard } from '../support/test-socket.js';

describe('a slow dashboard', () => {
  it('loses its oldest output with an explicit gap marker while others and the agent are unaffected', async () => {
    await using server = await startTestServer();
    await using fast = await openDashboard(server.wsUrl, await server.dashboardToken('fast'));
    await using slow = await openDashboard(server.wsUrl, await server.dashboardToken('slow'));
    await using agent = await connectRawAgent(server.wsUrl, await server.agentToken('flood'));
    fast.send('command:request', { agentId: 'flood', command: 'yes', priority: 'normal' });
    const commandId = (await agent.waitFor('command:execute')).payload.commandId as string;
    agent.send('command:started', { commandId, pid: 1 });

    // The slow dashboard stops reading: its kernel buffers fill, then the server's outbox.
    (slow.ws as unknown as { _socket: Socket })._socket.pause();
    const chunks = 3_000; // 30 MB: far more than loopback buffers hold
    // Random text: permessage-deflate must not shrink it to nothing.
    for (let sequence = 1; sequence <= chunks; sequence++) {
      const data = randomBytes(Math.floor((Limits.outputChunkBytes * 3) / 4) - 8).toString('base64');
      agent.send('terminal:output', { commandId, sequence, stream: 'stdout', data });
      // Paced by the reading dashboard, never by the paused one: at most 8 chunks (~85 KB) are ever
      // unread by it, under its 100 KB allowance however loaded the machine is.
      if (sequence % 5 === 0) await fast.waitFor('terminal:output', (p) => p.sequence === sequence - 3, 60_000);
    }
    agent.send('command:exit', { commandId, exitCode: 0, signal: null, durationMs: 1, lastSequence: chunks, outcome: 'exited' });

    // The agent's output was all stored and acknowledged, and the fast dashboard got every chunk in order.
    await agent.waitFor('output:ack', (p) => p.sequence === chunks, 60_000);
    await fast.waitFor('command:status', (p) => p.commandId === commandId && p.status === 'completed', 60_000);
    const fastSeq = fast.messages.filter((m) => m.type === 'terminal:output').map((m) => m.payload.sequence);
    expect(fastSeq).toEqual(Array.from({ length: chunks }, (_, i) => i + 1));
    expect(fast.messages.some((m) => m.type === 'output:gap')).toBe(false);

    // Now the slow one reads again: it is told what it missed, and what it got is contiguous around the gaps.
    (slow.ws as unknown as { _socket: Socket })._socket.resume();
    await slow.waitFor('command:status', (p) => p.commandId === commandId && p.status === 'completed', 60_000);
    const gaps = slow.messages.filter((m) => m.type === 'output:gap');
    expect(gaps.length).toBeGreaterThan(0);
    let expected = 1;
    let received = 0;
    for (const m of slow.messages) {
      if (m.type === 'output:gap') {
        expect(m.payload).toMatchObject({ commandId, agentId: 'flood', fromSequence: expected });
        expected = m.payload.nextSequence as number;
      } else if (m.type === 'terminal:output') {
        expect(m.payload.sequence).toBe(expected);
        expected++;
        received++;
      }
    }
    expect(expected).toBe(chunks + 1);
    expect(received).toBeLessThan(chunks);
    // What it missed is in the store.
    const stored = await server.context.store.readOutput(commandId, 0, chunks + 10);
    expect(stored).toHaveLength(chunks);
  }, 120_000);
});
