import { TestSocket } from './test-socket.js';

/**
 * A protocol-level stand-in for an agent: a raw socket on /ws/agent that registers and then does
 * exactly what the test says. For tests of how the server treats agents (including misbehaving ones);
 * the real agent process is covered by the end-to-end tests.
 */
export async function connectRawAgent(wsUrl: string, token: string, name = 'raw-agent', running: unknown[] = []): Promise<TestSocket> {
  const socket = await TestSocket.open(`${wsUrl}/ws/agent?token=${encodeURIComponent(token)}`);
  socket.send('agent:connect', { name, type: 'shell', version: 'test', running });
  await socket.waitFor('connection:ack');
  return socket;
}
