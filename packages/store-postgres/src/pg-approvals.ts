import type pg from 'pg';
import { Limits, type ApprovalDecidedPayload, type ApprovalRequestPayload } from '@onsembl/protocol';
import type { ApprovalWrite, StoredApproval } from '@onsembl/server';

interface ApprovalRow {
  question: string;
  decided: string | null;
}

/**
 * Writes an approval's question or decision, and its audit entry, inside an event's transaction;
 * false when it does not hold (the question was stored already, or it was decided already), and the
 * event is dropped.
 * Two nodes deciding at once: the second UPDATE waits for the first to commit, then finds the row
 * decided, so exactly one decision (and one approval:decided event) is ever stored.
 */
export async function writeApproval(client: pg.PoolClient, write: ApprovalWrite): Promise<boolean> {
  const held = write.kind === 'ask' ? await storeQuestion(client, write.question) : await storeDecision(client, write.decided);
  if (!held) return false;
  const a = write.audit;
  await client.query(
    'INSERT INTO audit (at, actor, role, action, target, detail, remote) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [a.at, a.actor, a.role, a.action, a.target ?? null, a.detail === undefined ? null : JSON.stringify(a.detail), a.remote ?? null],
  );
  return true;
}

async function storeQuestion(client: pg.PoolClient, q: ApprovalRequestPayload): Promise<boolean> {
  const result = await client.query(
    `INSERT INTO approvals (id, agent_id, command_id, requested_at, question) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO NOTHING`,
    [q.approvalId, q.agentId, q.commandId, q.requestedAt, JSON.stringify(q)],
  );
  return result.rowCount === 1;
}

async function storeDecision(client: pg.PoolClient, d: ApprovalDecidedPayload): Promise<boolean> {
  const result = await client.query(
    'UPDATE approvals SET decided = $2, decided_at = $3 WHERE id = $1 AND decided IS NULL',
    [d.approvalId, JSON.stringify(d), d.decidedAt],
  );
  if (result.rowCount !== 1) return false;
  // Decided questions are kept as long as one node would remember them (the newest ones).
  await client.query(
    `DELETE FROM approvals WHERE decided IS NOT NULL AND decided_at <=
       (SELECT decided_at FROM approvals WHERE decided IS NOT NULL ORDER BY decided_at DESC OFFSET $1 LIMIT 1)`,
    [Limits.approvalsDecidedKept],
  );
  return true;
}

export async function readApproval(pool: pg.Pool, approvalId: string): Promise<StoredApproval | undefined> {
  const { rows } = await pool.query<ApprovalRow>('SELECT question, decided FROM approvals WHERE id = $1', [approvalId]);
  const row = rows[0];
  if (!row) return undefined;
  return {
    question: JSON.parse(row.question) as ApprovalRequestPayload,
    decided: row.decided === null ? undefined : (JSON.parse(row.decided) as ApprovalDecidedPayload),
  };
}

export async function readWaitingApprovals(pool: pg.Pool): Promise<ApprovalRequestPayload[]> {
  const { rows } = await pool.query<ApprovalRow>('SELECT question FROM approvals WHERE decided IS NULL ORDER BY requested_at, id');
  return rows.map((r) => JSON.parse(r.question) as ApprovalRequestPayload);
}
