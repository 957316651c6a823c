import { connect } from 'node:net';
import { deflateRawSync } from 'node:zlib';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { CloseCode, Limits } from '@onsembl/protocol';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { openDashboard, TestSocket } from '../support/test-socket.js';

async function stillServes(server: TestServer): Promise<void> {
  await using socket = await openDashboard(server.wsUrl, await server.dashboardToken());
  socket.send('heartbeat', { sequence: 99 });
  expect((await socket.waitFor('heartbeat')).payload).toEqual({ sequence: 99 });
}

/** Writes raw bytes on a TCP connection and returns everything the server answered before closing. */
function rawExchange(port: number, chunks: Array<string | Buffer>, gapMs = 0): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.on('error', () => undefined);
    const writeAll = async () => {
      for (const c of chunks) {
        if (socket.destroyed) break;
        socket.write(c);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
    };
    socket.on('connect', () => void writeAll());
  });
}

const upgradeHead = (port: number, extra = '') =>
  `GET /ws/dashboard HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}`;

describe('socket-level attacks', () => {
  it('closes an over-size message with 1009 and keeps serving others', async () => {
    await using server = await startTestServer();
    await using socket = await openDashboard(server.wsUrl, await server.dashboardToken());
    socket.sendRaw('x'.repeat(Limits.maxMessageBytes + 1));
    expect((await socket.closed).code).toBe(CloseCode.messageTooBig);
    await stillServes(server);
  });

  it('closes a fragmented over-size message with 1009', async () => {
    await using server = await startTestServer();
    await using socket = await openDashboard(server.wsUrl, await server.dashboardToken());
    const piece = 'y'.repeat(64 * 1024);
    for (let i = 0; i < 20 && socket.ws.readyState === WebSocket.OPEN; i++) socket.ws.send(piece, { fin: false });
    socket.ws.send('end', { fin: true });
    expect((await socket.closed).code).toBe(CloseCode.messageTooBig);
    await stillServes(server);
  });

  it('closes a deflate bomb (small on the wire, over 1 MB inflated) with 1009', async () => {
    await using server = await startTestServer();
    await using socket = await TestSocket.open(`${server.wsUrl}/ws/dashboard?token=${await server.dashboardToken()}`, {
      perMessageDeflate: { threshold: 0 },
    });
    await socket.waitFor('agent:list');
    const bomb = ' '.repeat(50 * 1024 * 1024);
    expect(deflateRawSync(bomb).length).toBeLessThan(Limits.maxMessageBytes);
    socket.ws.send(bomb, { compress: true });
    expect((await socket.closed).code).toBe(CloseCode.messageTooBig);
    await stillServes(server);
  });

  it('closes a text frame of invalid UTF-8 (1007) and keeps serving', async () => {
    await using server = await startTestServer();
    await using socket = await openDashboard(server.wsUrl, await server.dashboardToken());
    socket.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await socket.closed).code).toBe(1007);
    await stillServes(server);
  });

  it('refuses an upgrade with 2,000 request headers', async () => {
    await using server = await startTestServer();
    const headers = Array.from({ length: 2_000 }, (_, i) => `X-Flood-${i}: ${'v'.repeat(20)}\r\n`).join('');
    const answer = await rawExchange(server.port, [upgradeHead(server.port, headers) + '\r\n']);
    expect(answer).toMatch(/^HTTP\/1\.1 4\d\d/);
    await stillServes(server);
  });

  it('drops slow upgrades (slowloris) while serving others', async () => {
    await using server = await startTestServer({ slowRequestTimeoutMs: 1_000 });
    const head = upgradeHead(server.port);
    const slow = Array.from({ length: 20 }, () => rawExchange(server.port, head.split(''), 200));
    await stillServes(server);
    const answers = await Promise.all(slow);
    // Each was cut off long before it could finish its headers (200 ms a byte).
    for (const a of answers) expect(a).not.toContain('101 Switching Protocols');
  });

  it('ignores garbage that is not HTTP at all', async () => {
    await using server = await startTestServer();
    const answer = await rawExchange(server.port, [Buffer.from([0, 1, 2, 3, 0xff, 0x10, 13, 10, 13, 10])]);
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    await stillServes(server);
  });
});
