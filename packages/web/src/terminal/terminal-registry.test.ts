import { OnsemblClient, type HistoryChunk, type HistoryCommand } from '@onsembl/client';
import type { CommandStatus } from '@onsembl/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeSocket } from '../../../client/src/test-support/fake-socket.js';
import type { AgentTerminal } from './agent-terminal.js';
import { FORGOTTEN_KEPT, TerminalRegistry } from './terminal-registry.js';

const AGENT = 'agent-1';
/** Lines the test terminals keep above the viewport (24 rows): about 15 commands of 3 lines. */
const SCROLLBACK = 20;

/** What the server stored: a command and its output, served by the history API below. */
interface Stored {
  status: CommandStatus;
  chunks: HistoryChunk[];
}

/**
 * A real client and registry, with the server played through an in-memory socket and the history
 * API served from `store` (the edges: the network and the server's database).
 */
function dashboard() {
  FakeSocket.reset();
  const store = new Map<string, Stored>();
  const asked: string[] = [];
  const fetch = (input: string): Promise<Response> => {
    const url = new URL(input);
    asked.push(url.pathname);
    const [, , , id, output] = url.pathname.split('/');
    const stored = id === undefined ? undefined : store.get(decodeURIComponent(id));
    if (!id || !stored) return Promise.resolve(Response.json({ error: 'not found' }, { status: 404 }));
    const commandId = decodeURIComponent(id);
    const lastSequence = stored.chunks.at(-1)?.sequence ?? 0;
    if (output === 'output') {
      const after = Number(url.searchParams.get('after') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 1000);
      const chunks = stored.chunks.filter((c) => c.sequence > after).slice(0, limit);
      const complete = stored.status !== 'running' && (chunks.at(-1)?.sequence ?? after) >= lastSequence;
      return Promise.resolve(Response.json({ commandId, status: stored.status, chunks, lastSequence, complete }));
    }
    const command: HistoryCommand = {
      id: commandId, agentId: AGENT, command: `cmd ${commandId}`, priority: 'normal', status: stored.status, requestedBy: 'test',
      queuedAt: 1, lastSequence, history: [], ...(stored.status === 'completed' ? { exitCode: 0, durationMs: 5 } : {}),
    };
    return Promise.resolve(Response.json({ command }));
  };
  const client = new OnsemblClient({ url: 'ws://onsembl.test/ws/dashboard', token: 't', WebSocket: FakeSocket, fetch, stableAfterMs: 0 });
  const registry = new TerminalRegistry(client, (commandId) => `cmd ${commandId}`, { scrollback: SCROLLBACK });
  client.connect();
  FakeSocket.last.open().ack();
  const terminal = registry.get(AGENT);
  const server = {
    queued: (commandId: string) => {
      store.set(commandId, { status: 'queued', chunks: [] });
      FakeSocket.last.receive('command:status', { commandId, agentId: AGENT, status: 'queued', command: `cmd ${commandId}` });
    },
    running: (commandId: string) => {
      store.set(commandId, { status: 'running', chunks: store.get(commandId)?.chunks ?? [] });
      FakeSocket.last.receive('command:status', { commandId, agentId: AGENT, status: 'running' });
    },
    /** A chunk stored and, unless `stored only`, sent live. */
    output: (commandId: string, sequence: number, data: string, live = true) => {
      store.get(commandId)?.chunks.push({ commandId, sequence, stream: 'stdout', data, createdAt: 1 });
      if (live) FakeSocket.last.receive('terminal:output', { commandId, agentId: AGENT, sequence, stream: 'stdout', data });
    },
    completed: (commandId: string, live = true) => {
      const stored = store.get(commandId);
      if (stored) stored.status = 'completed';
      if (live) FakeSocket.last.receive('command:status', { commandId, agentId: AGENT, status: 'completed', exitCode: 0, durationMs: 5 });
    },
    /** One whole command, seen from its queueing on. */
    command: (commandId: string) => {
      server.queued(commandId);
      server.running(commandId);
      server.output(commandId, 1, `out of ${commandId}\n`);
      server.completed(commandId);
    },
  };
  return { client, registry, terminal, server, asked };
}

/** Resolves once xterm has parsed everything written so far (markers of trimmed lines are disposed then). */
function parsed(terminal: AgentTerminal): Promise<void> {
  return new Promise((resolve) => terminal.term.write('', resolve));
}

async function until(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const count = (text: string, part: string) => text.split(part).length - 1;

let made: ReturnType<typeof dashboard> | undefined;
afterEach(() => {
  made?.registry.dispose();
  made?.client.close();
  made = undefined;
});

describe('terminal registry memory', () => {
  it('stays bounded by what the terminal shows, however many commands ran', async () => {
    made = dashboard();
    const { registry, terminal, server } = made;
    for (let batch = 0; batch < 10; batch++) {
      for (let i = 0; i < 200; i++) server.command(`cmd-${batch}-${i}`);
      await parsed(terminal);
      const memory = registry.memory();
      // 44 buffer lines hold the start lines of at most 15 commands (3 lines each); one more may be
      // in flight between its start line and its marker.
      expect(memory.shown).toBeLessThanOrEqual(16);
      expect(memory.written).toBeLessThanOrEqual(16);
      expect(memory.queued).toBe(0);
      // Every other command was forgotten; the newest of them are remembered by id.
      expect(memory.forgotten).toBe(Math.min(FORGOTTEN_KEPT, (batch + 1) * 200 - memory.shown));
    }
    // The newest commands are still in view, whole.
    expect(terminal.text()).toContain('out of cmd-9-199');
    expect(terminal.view.trimmed).toBe(true);
  });

  it('drops a late or replayed event about a forgotten command instead of writing it again', async () => {
    made = dashboard();
    const { registry, terminal, server, asked } = made;
    for (let i = 0; i < 40; i++) server.command(`cmd-${i}`);
    await parsed(terminal);
    expect(terminal.text()).not.toContain('[cmd-20]'); // left the view
    const before = terminal.text();
    const memory = registry.memory();
    asked.length = 0;

    // The whole life of a forgotten command again (a replay), and a later chunk and gap about it.
    const old = 'cmd-20';
    FakeSocket.last.receive('command:status', { commandId: old, agentId: AGENT, status: 'queued', command: 'x' });
    FakeSocket.last.receive('command:status', { commandId: old, agentId: AGENT, status: 'running' });
    FakeSocket.last.receive('terminal:output', { commandId: old, agentId: AGENT, sequence: 1, stream: 'stdout', data: 'again\n' });
    FakeSocket.last.receive('terminal:output', { commandId: old, agentId: AGENT, sequence: 5, stream: 'stdout', data: 'later\n' });
    FakeSocket.last.receive('output:gap', { commandId: old, agentId: AGENT, fromSequence: 2, nextSequence: 5 });
    FakeSocket.last.receive('command:status', { commandId: old, agentId: AGENT, status: 'completed', exitCode: 0 });
    FakeSocket.last.receive('command:queue', { agentId: AGENT, queue: [{ commandId: old, command: 'x', priority: 'normal', position: 1 }] });
    expect(registry.memory()).toEqual(memory);
    // A command after them: the terminal writes in order, so once its output is there, anything the
    // replay had set off (a fill from the store holds back what follows) would be there too.
    server.command('cmd-next');
    await until('the next command', () => terminal.text().includes('out of cmd-next'));
    expect(asked).toEqual([]); // nothing read back from the store
    const text = terminal.text();
    expect(text).not.toMatch(/again|later|cmd cmd-20\b/);
    // What was there before, unchanged (its oldest lines may have left the top meanwhile).
    const head = text.slice(0, text.indexOf('$ cmd cmd-next')).trimEnd();
    expect(head).toContain('out of cmd-39');
    expect(before.trimEnd().endsWith(head)).toBe(true);
  });

  it('Clear forgets the finished commands, keeps the running one, and a reset still re-reads it', async () => {
    made = dashboard();
    const { registry, terminal, server } = made;
    server.command('cmd-done');
    server.queued('cmd-long');
    server.running('cmd-long');
    server.output('cmd-long', 1, 'long-1\n');
    server.output('cmd-long', 2, 'long-2\n');
    await parsed(terminal);
    expect(registry.memory()).toMatchObject({ shown: 2, written: 2 });

    terminal.clear();
    expect(registry.memory()).toMatchObject({ shown: 1, written: 1, forgotten: 1 });
    server.output('cmd-long', 3, 'long-3\n');

    // The page is away while the command prints more and finishes; the server cannot replay it.
    FakeSocket.last.drop();
    server.output('cmd-long', 4, 'long-4\n', false);
    server.output('cmd-long', 5, 'long-5\n', false);
    server.completed('cmd-long', false);
    await until('the client to reconnect', () => FakeSocket.last.readyState === 0);
    FakeSocket.last.open().ack({ position: { epoch: 'ep-2', offset: 0 } });
    // The server's fresh picture does not name the finished command; a replayed outcome of the
    // forgotten one changes nothing.
    FakeSocket.last.receive('command:status', { commandId: 'cmd-done', agentId: AGENT, status: 'completed', exitCode: 0 });

    await until('the re-read outcome line', () => terminal.text().includes('── completed'));
    await parsed(terminal);
    const text = terminal.text();
    for (const line of ['long-3', 'long-4', 'long-5']) expect(count(text, line)).toBe(1);
    expect(text).not.toContain('long-1');
    expect(count(text, '── completed')).toBe(1);
    expect(text).not.toContain('out of cmd-done');
    // Finished, and its start line was cleared: forgotten as well.
    expect(registry.memory()).toMatchObject({ shown: 0, written: 0, forgotten: 2, queued: 0 });
  });

  it('forgets commands seen queued that never ran, and starts over after a reset', async () => {
    made = dashboard();
    const { registry, server } = made;
    server.queued('cmd-cancelled');
    FakeSocket.last.receive('command:status', { commandId: 'cmd-cancelled', agentId: AGENT, status: 'cancelled' });
    server.queued('cmd-waiting');
    expect(registry.memory().queued).toBe(1);
    FakeSocket.last.drop();
    await until('the client to reconnect', () => FakeSocket.last.readyState === 0);
    FakeSocket.last.open().ack({ position: { epoch: 'ep-2', offset: 0 } });
    // The fresh picture: what is queued now.
    expect(registry.memory().queued).toBe(0);
    FakeSocket.last.receive('command:queue', { agentId: AGENT, queue: [{ commandId: 'cmd-waiting', command: 'x', priority: 'normal', position: 1 }] });
    expect(registry.memory().queued).toBe(1);
  });
});
