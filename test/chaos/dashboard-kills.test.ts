import { describe, expect, it } from 'vitest';
import { spawnAgent } from '../support/agent-process.js';
import { startTestServer } from '../support/test-server.js';
import { openDashboard, TestSocket } from '../support/test-socket.js';
import { expectedOutput, printerCommand } from './printer.js';

type Position = { epoch: string; offset: number };
const LINES = 60_000;

describe('chaos: a dashboard whose socket is killed 100 times during a long stream', () => {
  it('reassembles the output byte for byte, with no gap and no duplicate', async () => {
    await using server = await startTestServer();
    const token = await server.dashboardToken('chaos');
    await using _agent = spawnAgent(server.wsUrl, await server.agentToken('chaos-agent'));
    let socket = await openDashboard(server.wsUrl, token);
    await socket.waitFor('agent:status', (p) => (p.agent as { id: string; status: string }).id === 'chaos-agent' && (p.agent as { status: string }).status === 'online');
    socket.send('command:request', { agentId: 'chaos-agent', command: printerCommand(LINES, 400, 0.03), priority: 'normal', requestId: 'chaos' });
    const commandId = (await socket.waitFor('command:status', (p) => p.requestId === 'chaos')).payload.commandId as string;

    let received = '';
    let nextSequence = 1;
    let last: Position | undefined;
    let kills = 0;
    let finished = false;
    const take = (s: TestSocket) => {
      for (const m of s.drain()) {
        if (m.position) last = m.position as Position;
        if (m.type === 'terminal:output' && m.payload.commandId === commandId) {
          expect(m.payload.sequence, 'contiguous, no duplicate').toBe(nextSequence);
          nextSequence++;
          received += m.payload.data as string;
        }
        if (m.type === 'command:status' && m.payload.commandId === commandId && m.payload.status === 'completed') finished = true;
      }
    };
    take(socket);
    while (!finished || kills < 100) {
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 40));
      take(socket);
      if (kills >= 100 || finished) {
        if (finished) break;
        continue;
      }
      socket.ws.terminate();
      kills++;
      socket = await TestSocket.open(`${server.wsUrl}/ws/dashboard`);
      socket.send('dashboard:connect', { token, clientInfo: { name: 'chaos' }, resume: last });
      expect((await socket.waitFor('connection:ack')).payload.recovered).toBe(true);
    }
    while (!finished) {
      await new Promise((r) => setTimeout(r, 20));
      take(socket);
    }
    await socket[Symbol.asyncDispose]();
    expect(kills).toBe(100);
    expect(received).toBe(expectedOutput(LINES));
    const stored = await (await fetch(`${server.httpUrl}/api/commands/${commandId}/output`, { headers: { Authorization: `Bearer ${token}` } })).text();
    expect(stored).toBe(received);
  }, 120_000);
});
