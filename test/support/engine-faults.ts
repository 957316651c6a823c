import pg from 'pg';
import type { ServerProcess } from './server-process.js';
import type { TestSocket } from './test-socket.js';
import { waitUntil } from './wait-until.js';

/** What GET /health of a node answers now (status code and JSON body). */
export async function healthOf(node: ServerProcess): Promise<{ status: number; body: { status: string; down?: Record<string, { error: string; failing: string[] }> } }> {
  const res = await fetch(`${node.httpUrl}/health`);
  return { status: res.status, body: (await res.json()) as { status: string; down?: Record<string, { error: string; failing: string[] }> } };
}

/** Waits until the node's /health answers 503 naming `dependency` in its body. */
export async function waitUntilDown(node: ServerProcess, dependency: 'store' | 'bus', timeoutMs = 20_000): Promise<void> {
  await waitUntil(`/health of ${node.httpUrl} answers 503 naming ${dependency}`, async () => {
    const { status, body } = await healthOf(node);
    return status === 503 && body.status === 'unavailable' && body.down?.[dependency] !== undefined;
  }, timeoutMs);
}

/** Waits until the node's /health answers 200 again (it recovered by itself). */
export async function waitUntilHealthy(node: ServerProcess, timeoutMs = 30_000): Promise<void> {
  await waitUntil(`/health of ${node.httpUrl} answers 200`, async () => (await healthOf(node)).status === 200, timeoutMs);
}

/** The same database URL through another port (a test's own proxy in front of PostgreSQL). */
export function throughPort(url: string, port: number): string {
  const u = new URL(url);
  u.port = String(port);
  return u.toString();
}

/** A direct connection to the cluster's database, for checking what is really stored. */
export async function openInspector(databaseUrl: string): Promise<pg.Client & AsyncDisposable> {
  const client = new pg.Client({ connectionString: databaseUrl, options: '-c search_path=onsembl' });
  await client.connect();
  return Object.assign(client, { [Symbol.asyncDispose]: () => client.end() });
}

/** Output sequences of a command in the output table, in order (duplicates would show twice). */
export async function storedOutput(db: pg.Client, commandId: string): Promise<number[]> {
  const { rows } = await db.query<{ sequence: string }>('SELECT sequence FROM output WHERE command_id = $1 ORDER BY sequence', [commandId]);
  return rows.map((r) => Number(r.sequence));
}

/** Sequences of a command's output events in the shared history, in offset order. */
export async function storedOutputEvents(db: pg.Client, commandId: string): Promise<number[]> {
  const { rows } = await db.query<{ sequence: string }>(
    'SELECT sequence FROM events WHERE command_id = $1 AND trace IS NOT TRUE AND sequence IS NOT NULL ORDER BY event_offset', [commandId],
  );
  return rows.map((r) => Number(r.sequence));
}

/** The sequences 1..n. */
export function upTo(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/**
 * Checks every output:ack the agent gets, as it gets it: everything it acknowledges must already be
 * in PostgreSQL, both the chunks and their events (read on a direct connection after the ack came,
 * so anything acknowledged before it was committed shows up as missing). `violations` lists each
 * ack that was ahead of the store.
 */
export function checkAcksAgainstStore(agent: TestSocket, db: pg.Client, commandId: string): { highest(): number; checked(): number; violations: string[]; settled(): Promise<void> } {
  let highest = 0;
  let checked = 0;
  const violations: string[] = [];
  let chain = Promise.resolve();
  agent.ws.on('message', (data) => {
    const message = JSON.parse((data as Buffer).toString()) as { type: string; payload: { commandId?: string; sequence?: number } };
    if (message.type !== 'output:ack' || message.payload.commandId !== commandId) return;
    const sequence = message.payload.sequence as number;
    highest = Math.max(highest, sequence);
    chain = chain.then(async () => {
      const chunks = (await storedOutput(db, commandId)).filter((s) => s <= sequence);
      const events = new Set((await storedOutputEvents(db, commandId)).filter((s) => s <= sequence));
      if (chunks.length !== sequence || events.size !== sequence) {
        violations.push(`ack ${sequence} came when the store held ${chunks.length} of its chunks and ${events.size} of its events`);
      }
      checked++;
    });
  });
  return { highest: () => highest, checked: () => checked, violations, settled: () => chain };
}

/**
 * Sends terminal:output for a command at a steady pace (one chunk per tick), as a busy command
 * would, until stopped; `sent()` is the last sequence sent.
 */
export function streamOutput(agent: TestSocket, commandId: string, everyMs = 20): { sent(): number; stop(): void } {
  let sequence = 0;
  const timer = setInterval(() => {
    sequence++;
    agent.send('terminal:output', { commandId, sequence, stream: 'stdout', data: `line ${sequence}\n` });
  }, everyMs);
  return { sent: () => sequence, stop: () => clearInterval(timer) };
}

/** The sequences of a command's terminal:output a dashboard received, in the order received. */
export function outputSeen(dashboard: TestSocket, commandId: string): number[] {
  return dashboard.messages.filter((m) => m.type === 'terminal:output' && m.payload.commandId === commandId).map((m) => m.payload.sequence as number);
}

/** Waits until the dashboard saw the command reach `status`. */
export async function waitForStatus(dashboard: TestSocket, commandId: string, status: string, timeoutMs = 30_000): Promise<void> {
  await waitUntil(`the dashboard saw ${commandId} ${status}`, () => dashboard.messages.some((m) => m.type === 'command:status' && m.payload.commandId === commandId && m.payload.status === status), timeoutMs);
}
