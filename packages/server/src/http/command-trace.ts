import type { ServerResponse } from 'node:http';
import { FINAL_COMMAND_STATUSES, type TracePageResponse } from '@onsembl/protocol';
import type { Store } from '../ports/store.js';
import { HttpError, intParam, sendJsonText } from './http-reply.js';

const PAGE = 1_000;

/**
 * GET /api/commands/:id/trace: the command's trace events after `after`, in sequence order, at most
 * `limit`, with `complete` telling whether this is everything (paged like the output's JSON form).
 * The events are sent as stored, without parsing them.
 */
export async function getTrace(store: Store, id: string, url: URL, res: ServerResponse): Promise<void> {
  const command = await store.getCommand(id);
  if (!command) throw new HttpError(404, `command ${id} is unknown`);
  const after = intParam(url, 'after') ?? 0;
  const limit = intParam(url, 'limit', 1, 10_000) ?? PAGE;
  const records = await store.readTrace(id, after, limit);
  const last = records.at(-1)?.sequence ?? after;
  const stored = await store.lastTraceSequence(id);
  const page: Omit<TracePageResponse, 'events'> = {
    commandId: id, status: command.status, lastSequence: stored, complete: FINAL_COMMAND_STATUSES.has(command.status) && last >= stored,
  };
  const events = records.map((r) => `{"sequence":${r.sequence},"event":${r.event}}`).join(',');
  sendJsonText(res, 200, `${JSON.stringify(page).slice(0, -1)},"events":[${events}]}`);
}
