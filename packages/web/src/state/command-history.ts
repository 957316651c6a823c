import type { CommandCursor, CommandStatusPayload, HistoryCommand } from '@onsembl/client';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { HistoryFilter } from '../ui/route.js';
import type { Session } from './session.js';

export const PAGE_SIZE = 50;

export interface CommandHistory {
  rows: readonly HistoryCommand[];
  loading: boolean;
  error: string | null;
  /** More (older) commands may exist. */
  hasMore: boolean;
  /** Commands queued since the list was loaded (not in it until refresh). */
  newSince: number;
  loadMore: () => void;
  refresh: () => void;
}

/** The status fields of a live `command:status` applied to a stored command. */
export function applyLiveStatus(row: HistoryCommand, status: CommandStatusPayload): HistoryCommand {
  const next: HistoryCommand = { ...row, status: status.status };
  if (status.startedAt !== undefined) next.startedAt = status.startedAt;
  if (status.finishedAt !== undefined) next.finishedAt = status.finishedAt;
  if (status.exitCode !== undefined) next.exitCode = status.exitCode;
  if (status.signal !== undefined) next.signal = status.signal;
  if (status.durationMs !== undefined) next.durationMs = status.durationMs;
  if (status.message !== undefined) next.message = status.message;
  if (!row.history.some((h) => h.status === status.status)) {
    const at = status.finishedAt ?? status.startedAt ?? Date.now();
    next.history = [...row.history, { status: status.status, at }];
  }
  return next;
}

/**
 * Stored commands matching a filter, newest first, a page at a time from the history API; rows
 * on screen follow live status changes, and new commands are counted for a refresh.
 */
export function useCommandHistory(session: Session, filter: HistoryFilter): CommandHistory {
  const [rows, setRows] = useState<readonly HistoryCommand[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [next, setNext] = useState<CommandCursor | undefined>(undefined);
  const [newSince, setNewSince] = useState(0);
  const [generation, setGeneration] = useState(0);
  /** Answers to requests made for an older filter or generation are ignored. */
  const request = useRef(0);
  const statuses = filter.statuses.join(',');

  const load = useCallback(
    async (cursor: CommandCursor | undefined) => {
      const id = ++request.current;
      if (!cursor) setNewSince(0);
      setLoading(true);
      setError(null);
      try {
        const page = await session.history.commands({
          q: filter.q,
          ...(filter.agentId ? { agentId: filter.agentId } : {}),
          ...(statuses ? { status: statuses.split(',') as HistoryCommand['status'][] } : {}),
          limit: PAGE_SIZE,
          ...(cursor ? { cursor } : {}),
        });
        if (id !== request.current) return;
        setRows((before) => {
          if (!cursor) return page.commands;
          const known = new Set(before.map((r) => r.id));
          return [...before, ...page.commands.filter((c) => !known.has(c.id))];
        });
        setNext(page.next);
      } catch (err) {
        if (id !== request.current) return;
        setError(err instanceof Error ? err.message : String(err));
      } finally {
        if (id === request.current) setLoading(false);
      }
    },
    [session, filter.q, filter.agentId, statuses],
  );

  useEffect(() => {
    // Fetching: the first page of a new filter (or a refresh) shows as loading from the moment it
    // is asked for; the answers are ignored once another request was made (see `request`).
    // eslint-disable-next-line react-hooks/set-state-in-effect
    void load(undefined);
  }, [load, generation]);

  useEffect(
    () =>
      session.client.on('status', (status) => {
        if (status.status === 'queued' && status.command !== undefined) setNewSince((n) => n + 1);
        setRows((before) => (before.some((r) => r.id === status.commandId) ? before.map((r) => (r.id === status.commandId ? applyLiveStatus(r, status) : r)) : before));
      }),
    [session],
  );

  return {
    rows,
    loading,
    error,
    hasMore: next !== undefined,
    newSince,
    loadMore: () => {
      if (next && !loading) void load(next);
    },
    refresh: () => setGeneration((g) => g + 1),
  };
}

/** One stored command, following its live status while it is open. */
export function useStoredCommand(session: Session, commandId: string | null): { command: HistoryCommand | null; error: string | null } {
  // What was read, with the session and id it was read for: after a change it is simply not this
  // command's, and nothing shows until the new one arrives (no reset in the effect).
  const [read, setRead] = useState<{ session: Session; id: string; command: HistoryCommand | null; error: string | null } | null>(null);
  useEffect(() => {
    if (!commandId) return;
    let current = true;
    session.history.command(commandId).then(
      (found) => current && setRead({ session, id: commandId, command: found, error: null }),
      (err: unknown) => current && setRead({ session, id: commandId, command: null, error: err instanceof Error ? err.message : String(err) }),
    );
    const off = session.client.on('status', (status) => {
      if (status.commandId !== commandId) return;
      setRead((before) => (before?.command && before.id === commandId ? { ...before, command: applyLiveStatus(before.command, status) } : before));
    });
    return () => {
      current = false;
      off();
    };
  }, [session, commandId]);
  const mine = read && read.session === session && read.id === commandId ? read : null;
  return { command: mine?.command ?? null, error: mine?.error ?? null };
}
