import type { ServerResponse } from 'node:http';
import type { UsageResponse } from '@onsembl/protocol';
import type { CommandFilter, Store, UsageFilter, UsageSums } from '../ports/store.js';
import { usageTotals } from '../core/command-status.js';
import { decodeCursor, encodeCursor } from './command-history.js';
import { HttpError, intParam, sendJson } from './http-reply.js';

const ID_RE = /^[A-Za-z0-9._:@-]{1,128}$/;

/** The UTC date (YYYY-MM-DD) of a day's start in ms. */
function dayOf(dayStart: number): string {
  return new Date(dayStart).toISOString().slice(0, 10);
}

function sums(s: UsageSums): UsageSums {
  const { commands, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, costUsd, estimatedCostUsd, unpricedCommands } = s;
  return { commands, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, costUsd, estimatedCostUsd, unpricedCommands };
}

/**
 * GET /api/usage?agentId=&since=&until=&limit=&cursor=: token and cost totals of the commands with
 * usage (AI runs), selected by agent and by when they were queued: in total, per agent, per UTC
 * day, and per command (newest first, paged with `next`/`cursor`).
 */
export async function getUsage(store: Store, url: URL, res: ServerResponse): Promise<void> {
  const filter: UsageFilter = {};
  const agentId = url.searchParams.get('agentId');
  if (agentId) {
    if (!ID_RE.test(agentId)) throw new HttpError(400, 'agentId is not a valid id');
    filter.agentId = agentId;
  }
  const since = intParam(url, 'since');
  const until = intParam(url, 'until');
  if (since !== undefined) filter.since = since;
  if (until !== undefined) filter.until = until;
  if (since !== undefined && until !== undefined && since > until) throw new HttpError(400, 'since is after until');
  const limit = intParam(url, 'limit', 1, 1000) ?? 100;
  const cursor = url.searchParams.get('cursor');
  const list: CommandFilter = { ...filter, withUsage: true, limit };
  if (cursor) list.after = decodeCursor(cursor);
  const [summary, commands] = await Promise.all([store.usageSummary(filter), store.listCommands(list)]);
  const body: UsageResponse = {
    total: sums(summary.total),
    byAgent: summary.byAgent.map((a) => ({ agentId: a.agentId, ...sums(a) })),
    byDay: summary.byDay.map((d) => ({ day: dayOf(d.dayStart), ...sums(d) })),
    byCommand: commands.flatMap((c) => {
      if (!c.usage) return [];
      const row: UsageResponse['byCommand'][number] = { commandId: c.id, agentId: c.agentId, queuedAt: c.queuedAt, ...usageTotals(c.usage) };
      if (c.finishedAt !== undefined) row.finishedAt = c.finishedAt;
      if (c.sessionId !== undefined) row.sessionId = c.sessionId;
      if (c.usage.model !== undefined) row.model = c.usage.model;
      return [row];
    }),
  };
  if (since !== undefined) body.since = since;
  if (until !== undefined) body.until = until;
  const last = commands.at(-1);
  if (commands.length === limit && last) body.next = encodeCursor(last);
  sendJson(res, 200, body);
}
