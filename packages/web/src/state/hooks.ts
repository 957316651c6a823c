import { useEffect, useState, useSyncExternalStore } from 'react';
import type { DashboardStore } from './dashboard-store.js';
import type { DashboardState } from './dashboard-state.js';

export function useDashboardState(store: DashboardStore): DashboardState {
  return useSyncExternalStore(store.subscribe, store.getState);
}

/** The current time, re-read every `intervalMs` while `active` (countdowns, running durations). */
export function useNow(active: boolean, intervalMs = 250): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [active, intervalMs]);
  return now;
}
