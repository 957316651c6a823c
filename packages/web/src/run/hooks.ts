import type { UsageSum } from '@onsembl/protocol';
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { Session } from '../state/session.js';
import { RunTraceLoader, type RunTraceState } from './run-trace.js';

const EMPTY: RunTraceState = { events: [], loading: false, error: null };
const noSubscribe = () => () => undefined;

/** The trace of one command, stored and live (see RunTraceLoader). */
export function useRunTrace(session: Session, commandId: string | null): RunTraceState {
  const [loader, setLoader] = useState<RunTraceLoader | null>(null);
  useEffect(() => {
    if (commandId === null) return;
    const next = new RunTraceLoader(session, commandId);
    // The loader is an external resource made and closed with the command id (it fetches and
    // listens); its state is read through useSyncExternalStore, so this set runs once per id.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setLoader(next);
    return () => {
      next.close();
      setLoader(null);
    };
  }, [session, commandId]);
  return useSyncExternalStore(loader?.subscribe ?? noSubscribe, loader?.getState ?? (() => EMPTY));
}

/** An agent's token and cost totals over all its AI runs (GET /api/usage), read again when `version` changes. */
export function useAgentUsage(session: Session, agentId: string, version: unknown): UsageSum | null {
  const [usage, setUsage] = useState<UsageSum | null>(null);
  useEffect(() => {
    let live = true;
    session.history.usage({ agentId, limit: 1 }).then(
      (report) => live && setUsage(report.byAgent.find((a) => a.agentId === agentId) ?? report.total),
      () => undefined, // the run view works without the totals
    );
    return () => {
      live = false;
    };
  }, [session, agentId, version]);
  return usage;
}
