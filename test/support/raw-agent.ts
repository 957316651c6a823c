import { TestSocket } from './test-socket.js';

/** What a raw agent says about itself in agent:connect, beyond its name. */
export interface RawAgentConnect {
  type?: 'shell' | 'claude' | 'gemini' | 'codex';
  running?: unknown[];
  sessionId?: string;
  cwd?: string;
  model?: string;
  cliVersion?: string;
}

/**
 * A protocol-level stand-in for an agent: a raw socket on /ws/agent that registers and then does
 * exactly what the test says. For tests of how the server treats agents (including misbehaving ones);
 * the real agent process is covered by the end-to-end tests.
 */
export async function connectRawAgent(wsUrl: string, token: string, name = 'raw-agent', running: unknown[] = []): Promise<TestSocket> {
  return connectRawAgentAs(wsUrl, token, name, { running });
}

/** A raw agent that registers as any type, with the 1.x fields of an AI agent when given. */
export async function connectRawAgentAs(wsUrl: string, token: string, name: string, connect: RawAgentConnect): Promise<TestSocket> {
  const socket = await TestSocket.open(`${wsUrl}/ws/agent?token=${encodeURIComponent(token)}`);
  const { type = 'shell', running = [], ...rest } = connect;
  socket.send('agent:connect', { name, type, version: 'test', running, ...rest });
  await socket.waitFor('connection:ack');
  return socket;
}
