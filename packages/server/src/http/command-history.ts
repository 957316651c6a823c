import type { ServerResponse } from 'node:http';
import {
  CommandStatus, FINAL_COMMAND_STATUSES, Limits, type CommandListResponse, type HistoryCommand, type OutputPageResponse,
} from '@onsembl/protocol';
import { usageTotals } from '../core/command-status.js';
import type { CommandFilter, CommandRecord, Store } from '../ports/store.js';
import { HttpError, intParam, sendJson } from './http-reply.js';

const STATUSES = new Set<string>(Object.values(CommandStatus));
const PAGE = 1_000;

/**
 * The command as the API shows it: its record, the status history derived from its timestamps, and
 * for a command still running the live last stored sequence.
 */
async function present(store: Store, c: CommandRecord): Promise<HistoryCommand> {
  const history: HistoryCommand['history'] = [{ status: CommandStatus.queued, at: c.queuedAt }];
  if (c.startedAt !== undefined) history.push({ status: CommandStatus.running, at: c.startedAt });
  if (c.finishedAt !== undefined) history.push({ status: c.status, at: c.finishedAt });
  const final = FINAL_COMMAND_STATUSES.has(c.status);
  const lastSequence = final ? c.lastSequence : await store.lastOutputSequence(c.id);
  const { usage, ...rest } = c;
  const presented: HistoryCommand = { ...rest, lastSequence, history };
  if (usage) presented.usage = usageTotals(usage);
  if (!final) {
    // Still going: how far its trace is stored now (an AI run's; a shell command has none).
    const lastTrace = await store.lastTraceSequence(c.id);
    if (lastTrace > 0) presented.lastTraceSequence = lastTrace;
  }
  return presented;
}

/** Opaque page cursors: `<queuedAt>_<id>` of the last command of a page. */
export function encodeCursor(c: CommandRecord): string {
  return `${c.queuedAt}_${c.id}`;
}

export function decodeCursor(cursor: string): { queuedAt: number; id: string } {
  const cut = cursor.indexOf('_');
  const queuedAt = Number(cursor.slice(0, cut));
  const id = cursor.slice(cut + 1);
  if (cut < 1 || !Number.isSafeInteger(queuedAt) || id === '' || id.length > 128) throw new HttpError(400, 'cursor is not one this API returned');
  return { queuedAt, id };
}

/** GET /api/commands: filter by agent, status and time, full-text search on the command text. */
export async function listCommands(store: Store, url: URL, res: ServerResponse): Promise<void> {
  const filter: CommandFilter = {};
  const agentId = url.searchParams.get('agentId');
  if (agentId) filter.agentId = agentId;
  const status = url.searchParams.get('status');
  if (status) {
    const statuses = status.split(',');
    for (const s of statuses) if (!STATUSES.has(s)) throw new HttpError(400, `unknown status "${s.slice(0, 32)}"`);
    filter.status = statuses as CommandStatus[];
  }
  const since = intParam(url, 'since');
  const until = intParam(url, 'until');
  const cursor = url.searchParams.get('cursor');
  const limit = intParam(url, 'limit', 1, 1000) ?? 100;
  if (since !== undefined) filter.since = since;
  if (until !== undefined) filter.until = until;
  if (cursor) filter.after = decodeCursor(cursor);
  const q = url.searchParams.get('q');
  if (q) filter.search = q.slice(0, 500);
  filter.limit = limit;
  const commands = await store.listCommands(filter);
  const last = commands.at(-1);
  const body: CommandListResponse = { commands: await Promise.all(commands.map((c) => present(store, c))) };
  if (commands.length === limit && last) body.next = encodeCursor(last);
  sendJson(res, 200, body);
}

export async function getCommand(store: Store, id: string, res: ServerResponse): Promise<void> {
  const command = await store.getCommand(id);
  if (!command) throw new HttpError(404, `command ${id} is unknown`);
  sendJson(res, 200, { command: await present(store, command) });
}

/**
 * GET /api/commands/:id/output: the whole output as text/plain (streamed page by page), or with
 * `format=json` the chunks after `after`, with `complete` telling whether this is everything.
 */
export async function getOutput(store: Store, id: string, url: URL, res: ServerResponse): Promise<void> {
  const command = await store.getCommand(id);
  if (!command) throw new HttpError(404, `command ${id} is unknown`);
  const after = intParam(url, 'after') ?? 0;
  const finished = FINAL_COMMAND_STATUSES.has(command.status);
  if (url.searchParams.get('format') === 'json') {
    const limit = intParam(url, 'limit', 1, Limits.outputPageMaxChunks) ?? PAGE;
    const chunks = await store.readOutput(id, after, limit);
    const last = chunks.at(-1)?.sequence ?? after;
    const stored = await store.lastOutputSequence(id);
    const page: OutputPageResponse = { commandId: id, status: command.status, chunks, lastSequence: stored, complete: finished && last >= stored };
    sendJson(res, 200, page);
    return;
  }
  res.writeHead(200, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'X-Onsembl-Command-Status': command.status,
  });
  let cursor = after;
  for (;;) {
    const chunks = await store.readOutput(id, cursor, PAGE);
    if (chunks.length === 0) break;
    const ok = res.write(chunks.map((c) => c.data).join(''));
    cursor = (chunks.at(-1) as { sequence: number }).sequence;
    if (!ok) await new Promise((resolve) => res.once('drain', resolve));
    if (chunks.length < PAGE) break;
  }
  res.end();
}
