import { describe, expect, it } from 'vitest';
import { OnsemblClient } from './client.js';
import { apiBaseFor, HistoryApi, HistoryApiError, type FetchLike, type HistoryCommand } from './history.js';
import { FakeSocket } from './test-support/fake-socket.js';

interface Call {
  url: URL;
  auth: string | undefined;
}

/** A fetch that answers from a route function and records what was asked. */
function fakeFetch(route: (url: URL) => { status?: number; body: unknown }) {
  const calls: Call[] = [];
  const fetch: FetchLike = async (input, init) => {
    const url = new URL(input);
    calls.push({ url, auth: init?.headers?.Authorization });
    const { status = 200, body } = route(url);
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });
  };
  return { fetch, calls };
}

const command = (id: string, queuedAt: number): HistoryCommand => ({
  id, agentId: 'a', command: `echo ${id}`, priority: 'normal', status: 'completed', requestedBy: 'u', queuedAt,
  lastSequence: 0, history: [],
});

describe('history API', () => {
  it('derives the HTTP base from the dashboard WebSocket URL', () => {
    expect(apiBaseFor('ws://127.0.0.1:3001/ws/dashboard')).toBe('http://127.0.0.1:3001');
    expect(apiBaseFor('wss://onsembl.example/prefix/ws/dashboard?x=1')).toBe('https://onsembl.example/prefix');
    expect(apiBaseFor('http://localhost:3001/')).toBe('http://localhost:3001');
  });

  it('sends the current token as a Bearer token and builds the query', async () => {
    const { fetch, calls } = fakeFetch(() => ({ body: { commands: [] } }));
    let token = 'first';
    const api = new HistoryApi({ url: 'ws://h:1/ws/dashboard', token: () => token, fetch });
    await api.commands({ agentId: 'a1', status: ['failed', 'timeout'], q: ' npm test ', since: 5, limit: 20 });
    token = 'second';
    await api.commands();
    expect(calls[0]?.url.pathname).toBe('/api/commands');
    expect(Object.fromEntries(calls[0]?.url.searchParams ?? [])).toEqual({ agentId: 'a1', status: 'failed,timeout', q: 'npm test', since: '5', limit: '20' });
    expect(calls.map((c) => c.auth)).toEqual(['Bearer first', 'Bearer second']);
  });

  it("passes the server's opaque cursor back as it is", async () => {
    const { fetch, calls } = fakeFetch((url) =>
      url.searchParams.get('cursor') === null
        ? { body: { commands: [command('c2', 200)], next: '200_c2' } }
        : { body: { commands: [command('c1', 100)] } });
    const api = new HistoryApi({ baseUrl: 'http://h:1', token: 't', fetch });
    const first = await api.commands({ limit: 1 });
    expect(first.next).toBe('200_c2');
    const second = await api.commands({ limit: 1, cursor: first.next as string });
    expect(second).toEqual({ commands: [command('c1', 100)] });
    expect(calls[1]?.url.searchParams.get('cursor')).toBe('200_c2');
  });

  it('reads back the chunks of a gap, waiting for ones not stored yet', async () => {
    let stored = 6;
    const { fetch, calls } = fakeFetch((url) => {
      const after = Number(url.searchParams.get('after'));
      const limit = Number(url.searchParams.get('limit'));
      const chunks = [];
      for (let s = after + 1; s <= Math.min(stored, after + limit); s++) chunks.push({ sequence: s, stream: 'stdout', data: `<${s}>`, createdAt: 0 });
      // The rest "arrives in the store" after the first look.
      stored = 12;
      return { body: { commandId: 'c', status: 'running', chunks, lastSequence: Math.min(stored, 6), complete: false } };
    });
    const api = new HistoryApi({ baseUrl: 'http://h:1', token: 't', fetch });
    const missing = await api.missingOutput({ commandId: 'c', fromSequence: 5, nextSequence: 10 });
    expect(missing.complete).toBe(true);
    expect(missing.chunks.map((c) => c.data).join('')).toBe('<5><6><7><8><9>');
    expect(calls[0]?.url.searchParams.get('after')).toBe('4');
    expect(calls[0]?.url.searchParams.get('format')).toBe('json');
  });

  it('says so when retention purged part of a gap', async () => {
    const { fetch } = fakeFetch(() => ({ body: { commandId: 'c', status: 'completed', chunks: [], lastSequence: 20, complete: true } }));
    const api = new HistoryApi({ baseUrl: 'http://h:1', token: 't', fetch });
    await expect(api.missingOutput({ commandId: 'c', fromSequence: 3, nextSequence: 5 })).resolves.toMatchObject({ chunks: [], complete: false });
  });

  it("turns refusals into HistoryApiError with the server's message", async () => {
    const { fetch } = fakeFetch(() => ({ status: 401, body: { error: 'authentication failed: expired' } }));
    const api = new HistoryApi({ baseUrl: 'http://h:1', token: 't', fetch });
    const error = await api.command('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HistoryApiError);
    expect(error).toMatchObject({ status: 401, message: 'authentication failed: expired' });
  });

  it("is reachable from the client, with the client's token and URL", async () => {
    const { fetch, calls } = fakeFetch(() => ({ body: { agents: [] } }));
    const client = new OnsemblClient({ url: 'wss://example.test/ws/dashboard', token: 'tok', WebSocket: FakeSocket, fetch });
    await client.history.agents();
    client.setToken('tok-2');
    await client.history.agents();
    expect(calls.map((c) => `${c.url.origin}${c.url.pathname} ${c.auth}`)).toEqual([
      'https://example.test/api/agents Bearer tok',
      'https://example.test/api/agents Bearer tok-2',
    ]);
  });
});
