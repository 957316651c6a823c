import pg from 'pg';

/** The schema the nodes keep their tables in (PostgresStore's default). */
const SCHEMA = 'onsembl';

function connect(databaseUrl: string): pg.Client {
  return new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${SCHEMA}` });
}

/** One dashboard event as the shared store holds it, or as a dashboard received it: comparable either way. */
export interface HistoryEntry {
  offset: number;
  type: string;
  /** What the event says: output by command, sequence and bytes; anything else by its payload. */
  key: string;
}

type Received = { type: string; payload: Record<string, unknown>; position?: unknown };

function outputKey(commandId: unknown, sequence: unknown, data: unknown): string {
  return `${String(commandId)} #${String(sequence)} ${JSON.stringify(data)}`;
}

/** The events a dashboard received with a position, in the order it received them. */
export function receivedHistory(messages: readonly Received[]): HistoryEntry[] {
  return messages.filter((m) => m.position).map((m) => ({
    offset: (m.position as { offset: number }).offset,
    type: m.type,
    key: m.type === 'terminal:output' ? outputKey(m.payload.commandId, m.payload.sequence, m.payload.data) : JSON.stringify(m.payload),
  }));
}

/** Every event in the cluster's PostgreSQL history, in offset order (read directly, not through any node). */
export async function storedHistory(databaseUrl: string): Promise<HistoryEntry[]> {
  const client = connect(databaseUrl);
  await client.connect();
  try {
    const { rows } = await client.query<{ event_offset: string; text: string; command_id: string | null; sequence: string | null; trace: boolean | null; data: string | null }>(
      `SELECT e.event_offset, e.text, e.command_id, e.sequence, e.trace, o.data
       FROM events e LEFT JOIN output o ON e.command_id IS NOT NULL AND e.trace IS NULL AND o.command_id = e.command_id AND o.sequence = e.sequence
       ORDER BY e.event_offset`,
    );
    return rows.map((r) => {
      const offset = Number(r.event_offset);
      if (r.command_id !== null && !r.trace) return { offset, type: 'terminal:output', key: outputKey(r.command_id, Number(r.sequence), r.data) };
      if (r.trace) return { offset, type: 'trace:event', key: `${r.command_id} #${r.sequence}` };
      const message = JSON.parse(r.text) as Received;
      return { offset, type: message.type, key: JSON.stringify(message.payload) };
    });
  } finally {
    await client.end();
  }
}

/** One query against the cluster's database (tests check what the store holds, not what a node says). */
export async function queryStore<Row extends pg.QueryResultRow>(databaseUrl: string, sql: string, values: unknown[] = []): Promise<Row[]> {
  const client = connect(databaseUrl);
  await client.connect();
  try {
    return (await client.query<Row>(sql, values)).rows;
  } finally {
    await client.end();
  }
}
