import { rm } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type OnsemblServer, type ServerOptions } from '@onsembl/server';

export interface TestServer extends OnsemblServer {
  dataDir: string;
  dashboardToken(name?: string, ttlSeconds?: number): Promise<string>;
  agentToken(name?: string, ttlSeconds?: number): Promise<string>;
}

export const TEST_SECRET = 'test-secret-of-at-least-thirty-two-bytes-long';

/** A real server on a free port with its own temp data dir; `await using` closes it and removes the dir. */
export async function startTestServer(options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'onsembl-server-'));
  const server = await startServer({ port: 0, logLevel: 'silent', jwtSecret: TEST_SECRET, webRoot: null, ...options, dataDir });
  const close = async () => {
    await server.close();
    if (options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
  };
  return Object.assign(Object.create(server) as OnsemblServer, server, {
    dataDir,
    dashboardToken: (name = 'tester', ttl?: number) => server.issueToken('dashboard', name, ttl),
    agentToken: (name = 'agent-1', ttl?: number) => server.issueToken('agent', name, ttl),
    close,
    [Symbol.asyncDispose]: close,
  });
}
