import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startAgent, type Agent, type AgentEvents } from '../index.js';
import type { AgentOptions } from '../options.js';
import type { TestServer } from './test-server.js';

/** A token-looking secret: tests check it never shows up in the agent's logs. */
export const TEST_TOKEN = 'eyJhbGciOiJIUzI1NiJ9.test-agent-secret-token.c2lnbmF0dXJl';

export interface TestAgent extends AsyncDisposable {
  agent: Agent;
  /** The parent spool directory given to the agent (its own directory is inside). */
  spoolParent: string;
  /** Every log line the agent wrote (JSON), debug level and up. */
  logs: string[];
  /** Files currently in the agent's spool directory. */
  spoolFiles(): string[];
  /** Resolves on the next occurrence of the event. */
  next<E extends keyof AgentEvents>(event: E): Promise<AgentEvents[E]>;
  /** Waits until the agent has logged a line matching (parsed JSON); the agent's log is its diary. */
  waitForLog(match: (entry: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/**
 * Starts a real agent against a test server, with small timings so tests stay fast. Disposing it
 * stops the agent (which ends its commands), removes its spool files and checks the logs for the token.
 */
export function startTestAgent(server: Pick<TestServer, 'url'>, options: Partial<AgentOptions> = {}): TestAgent {
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const spoolParent = mkdtempSync(join(tmpdir(), 'onsembl-agent-test-'));
  const agent = startAgent({
    url: server.url,
    token: TEST_TOKEN,
    name: 'test-agent',
    logger,
    spoolDir: spoolParent,
    reconnectDelaysMs: [20, 50, 100],
    interruptGraceMs: 300,
    shell: '/bin/sh',
    ...options,
  });
  const pending = new Map<string, Array<(args: unknown) => void>>();
  for (const event of ['connected', 'disconnected', 'fatal'] as const) {
    agent.on(event, (...args: unknown[]) => {
      const waiters = pending.get(event) ?? [];
      pending.delete(event);
      for (const resolve of waiters) resolve(args);
    });
  }
  return {
    agent,
    spoolParent,
    logs,
    spoolFiles: () => readdirSync(spoolParent, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .flatMap((dir) => readdirSync(join(spoolParent, dir.name))),
    next: <E extends keyof AgentEvents>(event: E) =>
      new Promise<AgentEvents[E]>((resolve) => {
        const waiters = pending.get(event) ?? [];
        waiters.push(resolve as (args: unknown) => void);
        pending.set(event, waiters);
      }),
    waitForLog: async (match, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const line of logs) {
          const entry = JSON.parse(line) as Record<string, unknown>;
          if (match(entry)) return entry;
        }
        if (Date.now() > deadline) throw new Error(`no matching log line within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async [Symbol.asyncDispose]() {
      await agent.stop();
      rmSync(spoolParent, { recursive: true, force: true });
      const leaked = logs.find((line) => line.includes(TEST_TOKEN));
      if (leaked) throw new Error(`the agent logged its token: ${leaked.slice(0, 300)}`);
    },
  };
}
