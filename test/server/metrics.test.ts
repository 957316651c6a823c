import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { Limits } from '@onsembl/protocol';
import { describe, expect, it } from 'vitest';
import { connectRawAgent } from '../support/raw-agent.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { openDashboard } from '../support/test-socket.js';

/** One scrape: `value(name, {label: value})` reads a sample (0 when absent, as Prometheus would treat a new series). */
async function scrape(server: TestServer, token: string) {
  const res = await fetch(`${server.httpUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const text = await res.text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  const value = (name: string, labels: Record<string, string> = {}): number => {
    const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    let total = 0;
    for (const [key, v] of samples) {
      const brace = key.indexOf('{');
      const metric = brace < 0 ? key : key.slice(0, brace);
      if (metric !== name) continue;
      const have = brace < 0 ? [] : key.slice(brace + 1, -1).split(',');
      if (wanted.every((w) => have.includes(w)) && (wanted.length > 0 || have.length === 0)) total += v;
    }
    return total;
  };
  return { text, value };
}

describe('GET /metrics (Prometheus text, prom-client)', () => {
  it('needs a metrics or dashboard token unless turned off; an agent token is refused', async () => {
    await using server = await startTestServer();
    expect((await fetch(`${server.httpUrl}/metrics`)).status).toBe(401);
    const agent = await fetch(`${server.httpUrl}/metrics`, { headers: { authorization: `Bearer ${await server.agentToken()}` } });
    expect(agent.status).toBe(401);
    expect(((await agent.json()) as { error: string }).error).toContain('a token of role agent cannot read metrics');
    const bad = await fetch(`${server.httpUrl}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(bad.status).toBe(401);
    const metricsToken = await server.issueToken('metrics', 'prometheus');
    expect((await scrape(server, metricsToken)).text).toContain('# TYPE onsembl_messages_sent_total counter');
    expect((await scrape(server, await server.dashboardToken())).text).toContain('onsembl_connections');
    // A metrics token opens nothing else.
    const api = await fetch(`${server.httpUrl}/api/agents`, { headers: { authorization: `Bearer ${metricsToken}` } });
    expect(api.status).toBe(401);

    await using open = await startTestServer({ metricsAuth: 'none' });
    const anonymous = await fetch(`${open.httpUrl}/metrics`);
    expect(anonymous.status).toBe(200);
    const text = await anonymous.text();
    // The process defaults and the event-loop delay come with it.
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(text).toContain(`\n${name}`);
    }
  });

  it('scraped during a command: connections, messages in and out by type, bytes, queue depth, then the final status and duration', async () => {
    await using server = await startTestServer();
    const token = await server.issueToken('metrics', 'prometheus');
    await using first = await openDashboard(server.wsUrl, await server.dashboardToken('one'));
    await using second = await openDashboard(server.wsUrl, await server.dashboardToken('two'));
    await using agent = await connectRawAgent(server.wsUrl, await server.agentToken('worker'), 'worker');
    const before = await scrape(server, token);
    expect(before.value('onsembl_connections', { role: 'dashboard' })).toBe(2);
    expect(before.value('onsembl_connections', { role: 'agent' })).toBe(1);

    first.send('command:request', { agentId: 'worker', command: 'build', priority: 'normal', requestId: 'a' });
    const commandId = (await agent.waitFor('command:execute')).payload.commandId as string;
    agent.send('command:started', { commandId, pid: 7 });
    // A second command waits in the queue while the first runs.
    first.send('command:request', { agentId: 'worker', command: 'test', priority: 'normal', requestId: 'b' });
    await first.waitFor('command:queue', (p) => (p.queue as unknown[]).length === 1);

    const chunks = 25;
    const data = 'x'.repeat(1000);
    for (let sequence = 1; sequence <= chunks; sequence++) agent.send('terminal:output', { commandId, sequence, stream: 'stdout', data });
    await first.waitFor('terminal:output', (p) => p.sequence === chunks);
    await second.waitFor('terminal:output', (p) => p.sequence === chunks);
    await agent.waitFor('output:ack', (p) => p.sequence === chunks);

    const during = await scrape(server, token);
    const moved = (name: string, labels: Record<string, string> = {}) => during.value(name, labels) - before.value(name, labels);
    expect(moved('onsembl_messages_received_total', { role: 'agent', type: 'terminal:output' })).toBe(chunks);
    expect(moved('onsembl_messages_received_total', { role: 'agent', type: 'command:started' })).toBe(1);
    expect(moved('onsembl_messages_received_total', { role: 'dashboard', type: 'command:request' })).toBe(2);
    // Each chunk went to both dashboards: counted once per dashboard.
    expect(moved('onsembl_messages_sent_total', { role: 'dashboard', type: 'terminal:output' })).toBe(2 * chunks);
    expect(moved('onsembl_messages_sent_total', { role: 'agent', type: 'command:execute' })).toBe(1);
    expect(moved('onsembl_messages_sent_total', { role: 'agent', type: 'output:ack' })).toBeGreaterThanOrEqual(1);
    // What the dashboards were handed covers at least every byte of output they got, twice.
    expect(moved('onsembl_bytes_sent_total', { role: 'dashboard' })).toBeGreaterThan(2 * chunks * data.length);
    expect(moved('onsembl_bytes_sent_total', { role: 'agent' })).toBeGreaterThan(0);
    expect(during.value('onsembl_queue_depth', { agent: 'worker' })).toBe(1);
    // Still running: nothing finished yet.
    expect(moved('onsembl_commands_finished_total')).toBe(0);
    expect(moved('onsembl_store_write_seconds_count', { call: 'appendOutput' })).toBeGreaterThanOrEqual(1);
    expect(moved('onsembl_output_chunks_dropped_total')).toBe(0);
    expect(moved('onsembl_output_gaps_total')).toBe(0);

    agent.send('command:exit', { commandId, exitCode: 0, signal: null, durationMs: 1500, lastSequence: chunks, outcome: 'exited' });
    await first.waitFor('command:status', (p) => p.commandId === commandId && p.status === 'completed');
    // The queued one is dispatched now; it fails (another final status, another duration).
    const next = (await agent.waitFor('command:execute', (p) => p.commandId !== commandId)).payload.commandId as string;
    agent.send('command:exit', { commandId: next, exitCode: 2, signal: null, durationMs: 250, lastSequence: 0, outcome: 'exited' });
    await first.waitFor('command:status', (p) => p.commandId === next && p.status === 'failed');

    const after = await scrape(server, token);
    const total = (name: string, labels: Record<string, string> = {}) => after.value(name, labels) - before.value(name, labels);
    expect(total('onsembl_commands_finished_total', { status: 'completed' })).toBe(1);
    expect(total('onsembl_commands_finished_total', { status: 'failed' })).toBe(1);
    expect(total('onsembl_command_duration_seconds_count', { status: 'completed' })).toBe(1);
    expect(total('onsembl_command_duration_seconds_sum', { status: 'completed' })).toBeCloseTo(1.5, 6);
    expect(total('onsembl_command_duration_seconds_sum', { status: 'failed' })).toBeCloseTo(0.25, 6);
    // Durations land in their buckets: 1.5 s is not under 1 s, and is under 5 s.
    expect(total('onsembl_command_duration_seconds_bucket', { status: 'completed', le: '1' })).toBe(0);
    expect(total('onsembl_command_duration_seconds_bucket', { status: 'completed', le: '5' })).toBe(1);
    expect(after.value('onsembl_queue_depth', { agent: 'worker' })).toBe(0);
  });

  it('counts output dropped for a slow dashboard and the gap markers it was sent, exactly as it was told', async () => {
    await using server = await startTestServer();
    const token = await server.issueToken('metrics', 'prometheus');
    await using fast = await openDashboard(server.wsUrl, await server.dashboardToken('fast'));
    await using slow = await openDashboard(server.wsUrl, await server.dashboardToken('slow'));
    await using agent = await connectRawAgent(server.wsUrl, await server.agentToken('flood'), 'flood');
    const before = await scrape(server, token);
    fast.send('command:request', { agentId: 'flood', command: 'yes', priority: 'normal' });
    const commandId = (await agent.waitFor('command:execute')).payload.commandId as string;
    agent.send('command:started', { commandId, pid: 1 });
    (slow.ws as unknown as { _socket: Socket })._socket.pause();
    const chunks = 2_000;
    for (let sequence = 1; sequence <= chunks; sequence++) {
      const data = randomBytes(Math.floor((Limits.outputChunkBytes * 3) / 4) - 8).toString('base64');
      agent.send('terminal:output', { commandId, sequence, stream: 'stdout', data });
      if (sequence % 5 === 0) await fast.waitFor('terminal:output', (p) => p.sequence === sequence - 3, 60_000);
    }
    agent.send('command:exit', { commandId, exitCode: 0, signal: null, durationMs: 1, lastSequence: chunks, outcome: 'exited' });
    await fast.waitFor('command:status', (p) => p.commandId === commandId && p.status === 'completed', 60_000);
    (slow.ws as unknown as { _socket: Socket })._socket.resume();
    await slow.waitFor('command:status', (p) => p.commandId === commandId && p.status === 'completed', 60_000);

    const gaps = slow.messages.filter((m) => m.type === 'output:gap');
    expect(gaps.length).toBeGreaterThan(0);
    const missed = gaps.reduce((sum, m) => sum + (m.payload.nextSequence as number) - (m.payload.fromSequence as number), 0);
    const received = slow.messages.filter((m) => m.type === 'terminal:output').length;
    expect(received + missed).toBe(chunks);
    const after = await scrape(server, token);
    expect(after.value('onsembl_output_chunks_dropped_total') - before.value('onsembl_output_chunks_dropped_total')).toBe(missed);
    expect(after.value('onsembl_output_gaps_total') - before.value('onsembl_output_gaps_total')).toBe(gaps.length);
    expect(after.value('onsembl_messages_sent_total', { role: 'dashboard', type: 'output:gap' })
      - before.value('onsembl_messages_sent_total', { role: 'dashboard', type: 'output:gap' })).toBe(gaps.length);
  }, 120_000);
});
