import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Limits, toServerFromAgent } from '@onsembl/protocol';
import { connectRawAgent } from '../support/raw-agent.js';
import { startTestServer } from '../support/test-server.js';

interface Frame { compressed: boolean; opcode: number; length: number }

/** Opens a socket by hand and reports each server frame's RSV1 (compressed) bit. */
function rawSocket(port: number, path: string, token: string) {
  const frames: Frame[] = [];
  let handshake = '';
  let buffer = Buffer.alloc(0);
  const socket = connect(port, '127.0.0.1');
  socket.write(
    `GET ${path}?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
    'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n',
  );
  socket.on('data', (data) => {
    buffer = Buffer.concat([buffer, data]);
    if (!handshake) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      handshake = buffer.subarray(0, end).toString();
      buffer = buffer.subarray(end + 4);
    }
    for (;;) {
      if (buffer.length < 2) return;
      const b0 = buffer[0] as number;
      let length = (buffer[1] as number) & 0x7f;
      let offset = 2;
      if (length === 126) { if (buffer.length < 4) return; length = buffer.readUInt16BE(2); offset = 4; }
      else if (length === 127) { if (buffer.length < 10) return; length = Number(buffer.readBigUInt64BE(2)); offset = 10; }
      if (buffer.length < offset + length) return;
      frames.push({ compressed: (b0 & 0x40) !== 0, opcode: b0 & 0x0f, length });
      buffer = buffer.subarray(offset + length);
    }
  });
  /** One uncompressed text frame, masked with a zero key (a client must mask; zero leaves the bytes as they are). */
  const sendText = (text: string) => {
    const payload = Buffer.from(text, 'utf8');
    const header = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.alloc(4);
    if (payload.length >= 126) {
      header[0] = 0x81;
      header[1] = 0x80 | 126;
      header.writeUInt16BE(payload.length, 2);
    }
    socket.write(Buffer.concat([header, Buffer.alloc(4), payload]));
  };
  return { frames, handshake: () => handshake, sendText, close: () => socket.destroy() };
}

describe('permessage-deflate', () => {
  it('is negotiated, and only messages over 10 KB are compressed', async () => {
    await using server = await startTestServer();
    const dashboard = rawSocket(server.port, '/ws/dashboard', await server.dashboardToken());
    try {
      await expect.poll(() => dashboard.frames.length).toBeGreaterThanOrEqual(2); // ack and agent:list
      expect(dashboard.handshake()).toMatch(/Sec-WebSocket-Extensions: permessage-deflate/i);
      await using agent = await connectRawAgent(server.wsUrl, await server.agentToken('z'));
      await using requester = await (await import('../support/test-socket.js')).openDashboard(server.wsUrl, await server.dashboardToken());
      requester.send('command:request', { agentId: 'z', command: 'big', priority: 'normal' });
      const commandId = (await agent.waitFor('command:execute')).payload.commandId as string;
      agent.send('command:started', { commandId, pid: 1 });
      agent.send('terminal:output', { commandId, sequence: 1, stream: 'stdout', data: 'small\n' });
      agent.send('terminal:output', { commandId, sequence: 2, stream: 'stdout', data: 'x'.repeat(Limits.outputChunkBytes) });
      await requester.waitFor('terminal:output', (p) => p.sequence === 2);
      await expect.poll(() => dashboard.frames.filter((f) => f.compressed).length).toBeGreaterThanOrEqual(1);
      const small = dashboard.frames.filter((f) => !f.compressed);
      expect(small.length).toBeGreaterThanOrEqual(4); // ack, agent:list, statuses, the small chunk
      for (const f of small) expect(f.length).toBeLessThanOrEqual(Limits.compressionThresholdBytes);
      // 10 KB of 'x' went out as a small compressed frame.
      expect(Math.min(...dashboard.frames.filter((f) => f.compressed).map((f) => f.length))).toBeLessThan(1_000);
    } finally {
      dashboard.close();
    }
  });

  it('counts bytes, not characters: a command:execute of 6,000 two-byte characters (12,000 bytes) is compressed', async () => {
    await using server = await startTestServer();
    const agent = rawSocket(server.port, '/ws/agent', await server.agentToken('u'));
    try {
      await expect.poll(() => agent.handshake()).toMatch(/Sec-WebSocket-Extensions: permessage-deflate/i);
      agent.sendText(JSON.stringify(toServerFromAgent('agent:connect', { name: 'u', type: 'shell', version: 'test', running: [] })));
      await expect.poll(() => agent.frames.length).toBeGreaterThanOrEqual(1); // connection:ack
      const before = agent.frames.length;
      await using requester = await (await import('../support/test-socket.js')).openDashboard(server.wsUrl, await server.dashboardToken());
      const command = 'é'.repeat(6_000);
      expect(command.length).toBeLessThan(Limits.compressionThresholdBytes);
      requester.send('command:request', { agentId: 'u', command, priority: 'normal' });
      await expect.poll(() => agent.frames.length).toBeGreaterThan(before);
      const execute = agent.frames.slice(before).find((f) => f.compressed);
      expect(execute).toBeDefined();
      // The uncompressed frames the agent got (ack, heartbeats) are all small.
      for (const f of agent.frames.filter((f) => !f.compressed)) expect(f.length).toBeLessThanOrEqual(Limits.compressionThresholdBytes);
    } finally {
      agent.close();
    }
  });
});
