import { CloseCode } from '@onsembl/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OnsemblClient } from './client.js';
import type { ClientOptions } from './options.js';
import { FakeSocket } from './test-support/fake-socket.js';
import type { ConnectionState, ConnectionStatus } from './types.js';

const URL = 'ws://onsembl.test/ws/dashboard';

function makeClient(extra: Partial<ClientOptions> = {}) {
  const client = new OnsemblClient({ url: URL, token: 'tok-1', WebSocket: FakeSocket, random: () => 0.5, ...extra });
  const states: ConnectionState[] = [];
  const statuses: ConnectionStatus[] = [];
  client.on('state', (status) => {
    statuses.push(status);
    if (states.at(-1) !== status.state) states.push(status.state);
  });
  return { client, states, statuses };
}

/** Opens and acknowledges the newest socket, then lets it become stable. */
function connectLast(ack: Parameters<FakeSocket['ack']>[0] = {}): FakeSocket {
  const socket = FakeSocket.last.open().ack(ack);
  vi.advanceTimersByTime(5_000);
  return socket;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  FakeSocket.reset();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('connecting', () => {
  it('goes CONNECTING → CONNECTED, authenticating in-band by default', () => {
    const { client, states } = makeClient();
    client.connect();
    expect(client.state).toBe('CONNECTING');
    expect(FakeSocket.last.url).toBe(URL);
    FakeSocket.last.open();
    expect(FakeSocket.last.sent[0]).toMatchObject({ type: 'dashboard:connect', payload: { token: 'tok-1', clientInfo: {} } });
    FakeSocket.last.ack();
    expect(states).toEqual(['CONNECTING', 'CONNECTED']);
  });

  it('puts the token in the URL in query mode and sends no dashboard:connect', () => {
    const { client } = makeClient({ auth: 'query' });
    client.connect();
    expect(FakeSocket.last.url).toBe(`${URL}?token=tok-1`);
    FakeSocket.last.open().ack();
    expect(FakeSocket.last.sentOfType('dashboard:connect')).toEqual([]);
    expect(client.state).toBe('CONNECTED');
  });

  it('keeps the agent list current', () => {
    const { client } = makeClient();
    const lists: number[] = [];
    client.on('agents', (agents) => lists.push(agents.length));
    client.connect();
    const agent = { id: 'a1', name: 'alpha', type: 'shell', status: 'online' } as const;
    FakeSocket.last.open().ack().receive('agent:list', { agents: [agent] });
    FakeSocket.last.receive('agent:status', { agent: { ...agent, status: 'busy' } });
    expect(lists).toEqual([1]);
    expect(client.agents).toEqual([{ ...agent, status: 'busy' }]);
  });

  it('fails an attempt that gets no connection:ack within the connect timeout', () => {
    const { client } = makeClient();
    client.connect();
    FakeSocket.last.open();
    vi.advanceTimersByTime(9_999);
    expect(client.state).toBe('CONNECTING');
    vi.advanceTimersByTime(1);
    expect(FakeSocket.instances[0]?.closedWith).not.toBeNull();
    expect(client.status).toMatchObject({ state: 'RECONNECTING', failures: 1, nextRetryAt: Date.now() + 1_000 });
  });
});

describe('reconnect schedule', () => {
  it('retries at once after a disconnect, then after 1, 2, 4, 8 s; after 5 failures it offers a manual reconnect and keeps trying', () => {
    const { client, states } = makeClient();
    client.connect();
    connectLast();
    FakeSocket.last.drop();
    // The immediate retry: a new socket without any time passing.
    expect(FakeSocket.instances).toHaveLength(2);
    expect(client.status).toMatchObject({ state: 'RECONNECTING', failures: 0, nextRetryAt: Date.now() });

    const waits: number[] = [];
    for (let failure = 1; failure <= 4; failure++) {
      FakeSocket.last.drop();
      const { nextRetryAt, failures } = client.status;
      expect(failures).toBe(failure);
      expect(client.status.offerManualReconnect).toBe(false);
      const wait = (nextRetryAt ?? 0) - Date.now();
      waits.push(wait);
      const before = FakeSocket.instances.length;
      vi.advanceTimersByTime(wait - 1);
      expect(FakeSocket.instances).toHaveLength(before);
      vi.advanceTimersByTime(1);
      expect(FakeSocket.instances).toHaveLength(before + 1);
      expect(client.nextRetryAt).toBeNull();
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000]);

    // spec: "After 5 failures, show manual reconnect option". It does not give up: a long outage
    // still ends with a connection, at the longest delays (16 s, then 30 s from then on).
    for (const [failures, wait] of [[5, 16_000], [6, 30_000], [7, 30_000], [8, 30_000]] as const) {
      FakeSocket.last.drop();
      expect(client.status).toMatchObject({ state: 'RECONNECTING', failures, offerManualReconnect: true, nextRetryAt: Date.now() + wait });
      const before = FakeSocket.instances.length;
      vi.advanceTimersByTime(wait);
      expect(FakeSocket.instances).toHaveLength(before + 1);
    }
    FakeSocket.last.open().ack();
    expect(client.status).toMatchObject({ state: 'CONNECTED', offerManualReconnect: false });
    expect(states).toEqual(['CONNECTING', 'CONNECTED', 'RECONNECTING', 'CONNECTED']);
  });

  it('a manual reconnect() tries at once with a fresh failure count', () => {
    const { client, states } = makeClient();
    client.connect();
    for (let i = 0; i < 5; i++) {
      FakeSocket.last.drop();
      vi.advanceTimersByTime(client.nextRetryAt === null ? 0 : client.nextRetryAt - Date.now());
    }
    FakeSocket.last.drop();
    expect(client.status).toMatchObject({ state: 'RECONNECTING', offerManualReconnect: true, failures: 6 });
    const count = FakeSocket.instances.length;
    client.reconnect();
    expect(FakeSocket.instances).toHaveLength(count + 1);
    expect(client.status).toMatchObject({ state: 'RECONNECTING', failures: 0, offerManualReconnect: false, nextRetryAt: null });
    FakeSocket.last.open().ack();
    expect(states).toEqual(['CONNECTING', 'RECONNECTING', 'CONNECTED']);
  });

  it('retrySoon() (the network may be back) skips the wait but keeps the schedule, and does nothing otherwise', () => {
    const { client } = makeClient();
    client.retrySoon(); // never connected: nothing to hurry
    expect(FakeSocket.instances).toHaveLength(0);
    client.connect();
    client.retrySoon(); // an attempt is in flight: no second socket
    expect(FakeSocket.instances).toHaveLength(1);
    for (let i = 0; i < 6; i++) {
      FakeSocket.last.drop();
      vi.advanceTimersByTime(client.nextRetryAt === null ? 0 : client.nextRetryAt - Date.now());
    }
    FakeSocket.last.drop();
    expect(client.status).toMatchObject({ failures: 7, nextRetryAt: Date.now() + 30_000 });
    const count = FakeSocket.instances.length;
    client.retrySoon();
    expect(FakeSocket.instances).toHaveLength(count + 1);
    expect(client.status).toMatchObject({ state: 'RECONNECTING', failures: 7, nextRetryAt: null });
    // The hint was wrong: the next wait is still the longest one, not 1 s.
    FakeSocket.last.drop();
    expect(client.status).toMatchObject({ failures: 8, nextRetryAt: Date.now() + 30_000 });
    // The scheduled retry it replaced does not fire as well.
    vi.advanceTimersByTime(29_999);
    expect(FakeSocket.instances).toHaveLength(count + 1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.instances).toHaveLength(count + 2);
  });

  it('waits 1 s (not 0) after a failed first connect', () => {
    const { client } = makeClient();
    client.connect();
    FakeSocket.last.drop();
    expect(FakeSocket.instances).toHaveLength(1);
    expect(client.status).toMatchObject({ state: 'RECONNECTING', failures: 1, nextRetryAt: Date.now() + 1_000 });
  });

  it('reaches the 16 s and 30 s steps, capped at 30 s, when more failures are allowed', () => {
    const { client } = makeClient({ reconnect: { maxFailures: 9 } });
    client.connect();
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      FakeSocket.last.drop();
      const wait = (client.nextRetryAt ?? 0) - Date.now();
      waits.push(wait);
      vi.advanceTimersByTime(wait);
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it.each([
    ['lowest', () => 0, [800, 1_600, 3_200, 6_400]],
    ['highest', () => 1 - Number.EPSILON, [1_200, 2_400, 4_800, 9_600]],
  ])('applies ±20 %% jitter from the random source (%s value)', (_name, random, expected) => {
    const { client } = makeClient({ random });
    client.connect();
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      FakeSocket.last.drop();
      const wait = (client.nextRetryAt ?? 0) - Date.now();
      waits.push(wait);
      vi.advanceTimersByTime(wait);
    }
    expect(waits).toEqual(expected);
  });

  it('counts a connection that drops right after its ack as a failure, so a flapping server backs off', () => {
    const { client } = makeClient();
    client.connect();
    FakeSocket.last.open().ack();
    vi.advanceTimersByTime(1_000);
    FakeSocket.last.drop(CloseCode.policyViolation);
    expect(FakeSocket.instances).toHaveLength(1);
    expect(client.status).toMatchObject({ state: 'RECONNECTING', failures: 1, nextRetryAt: Date.now() + 1_000 });
  });

  it('takes the "dropped too soon" threshold from stableAfterMs, so chaos runs reconnect at once', () => {
    const { client } = makeClient({ stableAfterMs: 50 });
    client.connect();
    FakeSocket.last.open().ack();
    vi.advanceTimersByTime(10);
    FakeSocket.last.drop();
    expect(client.status).toMatchObject({ state: 'RECONNECTING', failures: 1 });
    vi.advanceTimersByTime(client.nextRetryAt! - Date.now());
    FakeSocket.last.open().ack();
    vi.advanceTimersByTime(50);
    expect(client.status.failures).toBe(0);
    FakeSocket.last.drop();
    // Up for 50 ms: a healthy connection that dropped, so the retry is immediate.
    expect(FakeSocket.instances).toHaveLength(3);
    expect(client.status).toMatchObject({ state: 'RECONNECTING', failures: 0 });
  });

  it('with stableAfterMs 0, retries at once after any drop that follows an ack', () => {
    const { client } = makeClient({ stableAfterMs: 0 });
    client.connect();
    for (let i = 1; i <= 10; i++) {
      FakeSocket.last.open().ack();
      FakeSocket.last.drop();
      expect(FakeSocket.instances).toHaveLength(i + 1);
      expect(client.status).toMatchObject({ state: 'RECONNECTING', failures: 0 });
    }
  });

  it('resets the failure count once a connection has been up for a while', () => {
    const { client } = makeClient();
    client.connect();
    FakeSocket.last.drop();
    vi.advanceTimersByTime(1_000);
    FakeSocket.last.drop();
    vi.advanceTimersByTime(2_000);
    FakeSocket.last.open().ack();
    expect(client.status.failures).toBe(2);
    vi.advanceTimersByTime(5_000);
    expect(client.status.failures).toBe(0);
  });

  it('stays DISCONNECTED after close() and opens nothing more', () => {
    const { client } = makeClient();
    client.connect();
    const socket = connectLast();
    client.close();
    expect(socket.closedWith?.code).toBe(1000);
    expect(client.status).toMatchObject({ state: 'DISCONNECTED', reason: 'closed', offerManualReconnect: false });
    vi.advanceTimersByTime(600_000);
    expect(FakeSocket.instances).toHaveLength(1);
  });
});

describe('authentication failures', () => {
  it.each([
    ['an AUTH_FAILED error', (s: FakeSocket) => s.receive('error', { code: 'AUTH_FAILED', message: 'bad token', recoverable: false })],
    ['close code 4001', (s: FakeSocket) => s.drop(CloseCode.authFailed, 'auth failed')],
    ['close code 4003', (s: FakeSocket) => s.drop(CloseCode.tokenExpired, 'token expired')],
  ])('stop retrying after %s and wait for a new token', (_name, fail) => {
    const { client, states } = makeClient();
    client.connect();
    fail(FakeSocket.last.open());
    expect(client.status).toMatchObject({ state: 'DISCONNECTED', reason: 'auth-failed', nextRetryAt: null, offerManualReconnect: false });
    vi.advanceTimersByTime(600_000);
    expect(FakeSocket.instances).toHaveLength(1);
    expect(states).toEqual(['CONNECTING', 'DISCONNECTED']);

    client.setToken('tok-2');
    client.reconnect();
    FakeSocket.last.open();
    expect(FakeSocket.last.sent[0]).toMatchObject({ type: 'dashboard:connect', payload: { token: 'tok-2' } });
    FakeSocket.last.ack();
    expect(client.state).toBe('CONNECTED');
  });

  it('stops on an AUTH_FAILED that arrives while connected', () => {
    const { client } = makeClient();
    client.connect();
    connectLast().receive('error', { code: 'AUTH_FAILED', message: 'token revoked', recoverable: false });
    expect(client.status).toMatchObject({ state: 'DISCONNECTED', reason: 'auth-failed' });
    expect(FakeSocket.instances).toHaveLength(1);
  });
});

describe('heartbeat', () => {
  it('sends a heartbeat every 30 s while connected', () => {
    const { client } = makeClient();
    client.connect();
    const socket = FakeSocket.last.open().ack();
    vi.advanceTimersByTime(29_999);
    expect(socket.sentOfType('heartbeat')).toEqual([]);
    vi.advanceTimersByTime(1);
    socket.receive('heartbeat', { sequence: 1 });
    for (let sequence = 2; sequence <= 10; sequence++) {
      vi.advanceTimersByTime(30_000);
      socket.receive('heartbeat', { sequence }); // the server's echo
    }
    expect(socket.sentOfType('heartbeat').map((m) => m.payload.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(client.state).toBe('CONNECTED');
  });

  it('treats 60 s of silence as a dead connection: closes it and reconnects', () => {
    const { client } = makeClient();
    client.connect();
    const socket = FakeSocket.last.open().ack();
    vi.advanceTimersByTime(40_000);
    socket.receive('heartbeat', { sequence: 1 }); // last sign of life at t=40 s
    vi.advanceTimersByTime(59_999);
    expect(client.state).toBe('CONNECTED');
    vi.advanceTimersByTime(1);
    expect(socket.closedWith?.code).toBe(CloseCode.heartbeatTimeout);
    expect(client.state).toBe('RECONNECTING');
    expect(FakeSocket.instances).toHaveLength(2);
  });

  it('follows the intervals the server announces in connection:ack', () => {
    const { client } = makeClient();
    client.connect();
    const socket = FakeSocket.last.open().ack({ heartbeatIntervalMs: 1_000, heartbeatTimeoutMs: 3_000 });
    vi.advanceTimersByTime(1_000);
    expect(socket.sentOfType('heartbeat')).toHaveLength(1);
    vi.advanceTimersByTime(2_000);
    expect(client.state).toBe('RECONNECTING');
  });
});

describe('resume', () => {
  const epoch = 'ep-1';

  function reconnectWithPositions() {
    const made = makeClient();
    const resets: number[] = [];
    made.client.on('reset', () => resets.push(Date.now()));
    made.client.connect();
    connectLast({ position: { epoch, offset: 3 } });
    FakeSocket.last.receive('agent:status', { agent: { id: 'a', name: 'a', type: 'shell', status: 'busy' } }, { epoch, offset: 4 });
    FakeSocket.last.receive('heartbeat', { sequence: 1 });
    FakeSocket.last.drop();
    FakeSocket.last.open();
    return { ...made, resets };
  }

  it('sends the last position as resume on reconnect and keeps state when recovered', () => {
    const { client, resets } = reconnectWithPositions();
    expect(FakeSocket.last.sent[0]).toMatchObject({ type: 'dashboard:connect', payload: { resume: { epoch, offset: 4 } } });
    FakeSocket.last.ack({ recovered: true, position: { epoch, offset: 9 } });
    expect(resets).toEqual([]);
    expect(client.position).toEqual({ epoch, offset: 4 });
  });

  it.each([
    ['false', { recovered: false }],
    ['absent', {}],
  ])('emits reset when recovered is %s', (_name, ack) => {
    const { client, resets } = reconnectWithPositions();
    FakeSocket.last.ack({ ...ack, position: { epoch: 'ep-2', offset: 0 } });
    expect(resets).toHaveLength(1);
    expect(client.position).toEqual({ epoch: 'ep-2', offset: 0 });
  });

  it('cannot resume in query mode: the URL token starts a fresh session, so it sends nothing and resets', () => {
    const { client } = makeClient({ auth: 'query' });
    const resets: number[] = [];
    client.on('reset', () => resets.push(1));
    client.connect();
    connectLast({ position: { epoch, offset: 1 } });
    FakeSocket.last.drop();
    FakeSocket.last.open();
    expect(FakeSocket.last.sent).toEqual([]);
    FakeSocket.last.ack({ position: { epoch, offset: 5 } });
    expect(resets).toHaveLength(1);
    expect(client.position).toEqual({ epoch, offset: 5 });
  });

  it('never moves the position back within an epoch', () => {
    const { client } = reconnectWithPositions();
    FakeSocket.last.ack({ recovered: true, position: { epoch, offset: 9 } });
    FakeSocket.last.receive('agent:status', { agent: { id: 'a', name: 'a', type: 'shell', status: 'online' } }, { epoch, offset: 6 });
    FakeSocket.last.receive('agent:status', { agent: { id: 'a', name: 'a', type: 'shell', status: 'busy' } }, { epoch, offset: 5 });
    expect(client.position).toEqual({ epoch, offset: 6 });
  });
});
