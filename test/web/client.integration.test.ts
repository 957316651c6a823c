import { OnsemblClient, type ConnectionState } from '@onsembl/client';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startTestAgent } from './fixtures/agent.js';
import { TestServer } from './fixtures/server.js';
import { waitFor } from './fixtures/wait.js';

/** A client whose state changes are recorded, closed when the scope ends. */
function clientFor(server: TestServer, token: string, auth: 'in-band' | 'query' = 'in-band') {
  const client = new OnsemblClient({ url: server.dashboardUrl, token, auth, WebSocket, clientInfo: { name: 'integration-test' } });
  const states: ConnectionState[] = [];
  client.on('state', (status) => {
    if (states.at(-1) !== status.state) states.push(status.state);
  });
  return Object.assign(client, { states, [Symbol.dispose]: () => client.close() });
}

describe('client against a real server', () => {
  it.each(['in-band', 'query'] as const)('connects with the token %s and sees a real agent', async (auth) => {
    await using server = await TestServer.start();
    await using _agent = await startTestAgent(server, 'integration-agent');
    using client = clientFor(server, await server.token('dashboard', 'tester'), auth);
    client.connect();
    await waitFor('CONNECTED', () => client.state === 'CONNECTED');
    const agent = await waitFor('the agent', () => client.agents.find((a) => a.name === 'integration-agent' && a.status === 'online'));
    expect(agent.type).toBe('shell');
  });

  it('runs a command and streams its output and statuses', async () => {
    await using server = await TestServer.start();
    await using _agent = await startTestAgent(server, 'runner');
    using client = clientFor(server, await server.token('dashboard', 'tester'));
    client.connect();
    const agent = await waitFor('the agent', () => client.agents.find((a) => a.name === 'runner' && a.status === 'online'));
    const commandId = await client.requestCommand({ agentId: agent.id, command: 'echo integration-$((40+2))', priority: 'normal' });
    let output = '';
    const statuses: string[] = [];
    for await (const event of client.commandEvents(commandId)) {
      if (event.type === 'output') output += event.chunk.data;
      if (event.type === 'status') statuses.push(event.status.status);
      if (event.type === 'status' && event.status.status === 'completed') expect(event.status.exitCode).toBe(0);
    }
    expect(output).toContain('integration-42');
    expect(statuses.at(-1)).toBe('completed');
  });

  it('answers an unknown agent with AGENT_OFFLINE through the request promise', async () => {
    await using server = await TestServer.start();
    using client = clientFor(server, await server.token('dashboard', 'tester'));
    client.connect();
    await waitFor('CONNECTED', () => client.state === 'CONNECTED');
    await expect(client.requestCommand({ agentId: 'no-such-agent', command: 'true', priority: 'low' })).rejects.toMatchObject({ code: 'AGENT_OFFLINE' });
  });

  it('stops with auth-failed on a bad token and recovers with a good one', async () => {
    await using server = await TestServer.start();
    using client = clientFor(server, 'not-a-valid-token');
    client.connect();
    await waitFor('auth failure', () => client.status.reason === 'auth-failed');
    expect(client.status).toMatchObject({ state: 'DISCONNECTED', offerManualReconnect: false, nextRetryAt: null });
    client.setToken(await server.token('dashboard', 'tester'));
    client.reconnect();
    await waitFor('CONNECTED', () => client.state === 'CONNECTED');
  });

  it('goes RECONNECTING while the server is down and CONNECTED again after it restarts on the same port', async () => {
    await using server = await TestServer.start();
    await using _agent = await startTestAgent(server, 'survivor');
    using client = clientFor(server, await server.token('dashboard', 'tester'));
    let resets = 0;
    client.on('reset', () => resets++);
    const resumed: boolean[] = [];
    client.on('connected', (event) => resumed.push(event.resumed));
    client.connect();
    await waitFor('the agent', () => client.agents.find((a) => a.name === 'survivor' && a.status === 'online'));

    const port = await server.kill();
    await waitFor('RECONNECTING', () => client.state === 'RECONNECTING');
    await waitFor('a failed attempt while the server is down', () => client.status.failures >= 1);
    expect(client.nextRetryAt).not.toBeNull();
    await server.restart(port);
    await waitFor('CONNECTED after the restart', () => client.state === 'CONNECTED', 40_000);
    expect(client.states).toEqual(['CONNECTING', 'CONNECTED', 'RECONNECTING', 'CONNECTED']);
    // The server keeps its event log (and epoch) in its data dir, so the client resumes across the
    // restart: it is sent what it missed (the agent going offline and back) and needs no reset.
    expect(resumed).toEqual([false, true]);
    expect(resets).toBe(0);
    const agent = await waitFor('the agent back online', () => client.agents.find((a) => a.name === 'survivor' && a.status === 'online'), 40_000);
    const commandId = await client.requestCommand({ agentId: agent.id, command: 'echo after-restart', priority: 'high' });
    expect(commandId).toBeTruthy();
  }, 90_000);
});
