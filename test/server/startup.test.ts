import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../support/test-server.js';
import { tempDir } from '../support/temp-dir.js';

async function epochOf(httpUrl: string): Promise<string> {
  return ((await (await fetch(`${httpUrl}/health`)).json()) as { epoch: string }).epoch;
}

describe('server start-up', () => {
  it('fails cleanly when its port is taken: the error, and the store closed so the next start keeps its history', async () => {
    await using dir = await tempDir();
    const first = await startTestServer({ dataDir: dir.path });
    const epoch = await epochOf(first.httpUrl);
    await first.close();

    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    using _blocker = { [Symbol.dispose]: () => blocker.close() };
    const { port } = blocker.address() as AddressInfo;
    await expect(startTestServer({ dataDir: dir.path, port, host: '127.0.0.1' })).rejects.toMatchObject({ code: 'EADDRINUSE' });

    // A store left open by the failed start would read as a crash: a new epoch, and no resume.
    await using again = await startTestServer({ dataDir: dir.path });
    expect(await epochOf(again.httpUrl)).toBe(epoch);
  });
});
