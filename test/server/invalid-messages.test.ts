import { describe, expect, it } from 'vitest';
import { startTestServer } from '../support/test-server.js';
import { openDashboard } from '../support/test-socket.js';

const env = (type: string, payload: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ version: '1.0.0', type, timestamp: Date.now(), payload, ...extra });

/** Each kind of malformed message, and what the error message must mention. */
const MALFORMED: Array<[string, string | Buffer, RegExp]> = [
  ['invalid JSON', '{"version": "1.0.0", ', /not valid JSON/],
  ['JSON that is not an object', '[1,2,3]', /JSON object/],
  ['a bare string', '"hello"', /JSON object/],
  ['missing version', JSON.stringify({ type: 'heartbeat', timestamp: 1, payload: { sequence: 1 } }), /version/],
  ['another major version', env('heartbeat', { sequence: 1 }, { version: '2.0.0' }), /supports 1\.0\.0/],
  ['missing type', JSON.stringify({ version: '1.0.0', timestamp: 1, payload: {} }), /type/],
  ['unknown type', env('agent:hack', {}), /unknown message type/],
  ['missing timestamp', JSON.stringify({ version: '1.0.0', type: 'heartbeat', payload: { sequence: 1 } }), /timestamp/],
  ['payload not an object', env('heartbeat', 5), /payload/],
  ['missing required field', env('command:request', { agentId: 'a', priority: 'low' }), /command/],
  ['wrong field type', env('heartbeat', { sequence: 'one' }), /sequence/],
  ['bad enum value', env('command:request', { agentId: 'a', command: 'ls', priority: 'urgent' }), /priority/],
  ['negative sequence', env('heartbeat', { sequence: -1 }), /sequence/],
  ['control bytes in command', env('command:request', { agentId: 'a', command: 'ls\u0007', priority: 'low' }), /command/],
  ['binary frame', Buffer.from([1, 2, 3]), /binary/],
];

describe('malformed dashboard messages', () => {
  it.each(MALFORMED)('%s gets INVALID_MESSAGE and the connection stays open', async (_kind, data, mention) => {
    await using server = await startTestServer();
    await using socket = await openDashboard(server.wsUrl, await server.dashboardToken());
    socket.drain();
    socket.sendRaw(data, { binary: Buffer.isBuffer(data) });
    const error = await socket.next('error');
    expect(error.payload).toMatchObject({ code: 'INVALID_MESSAGE', recoverable: true });
    expect(String(error.payload.message)).toMatch(mention);
    socket.send('heartbeat', { sequence: 42 });
    expect((await socket.next('heartbeat')).payload).toEqual({ sequence: 42 });
  });

  it('echoes the requestId of an invalid request so a client can match it', async () => {
    await using server = await startTestServer();
    await using socket = await openDashboard(server.wsUrl, await server.dashboardToken());
    socket.send('command:request', { agentId: 'a', command: '', priority: 'low', requestId: 'req-9' });
    expect((await socket.waitFor('error')).payload).toMatchObject({ code: 'INVALID_MESSAGE', requestId: 'req-9' });
  });

  it('answers AGENT_OFFLINE for an unknown agent', async () => {
    await using server = await startTestServer();
    await using socket = await openDashboard(server.wsUrl, await server.dashboardToken());
    socket.send('command:request', { agentId: 'nobody', command: 'ls', priority: 'normal', requestId: 'r1' });
    const error = await socket.waitFor('error');
    expect(error.payload).toMatchObject({ code: 'AGENT_OFFLINE', recoverable: true, requestId: 'r1' });
    expect(String(error.payload.message)).toContain('nobody');
  });
});
