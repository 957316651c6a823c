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
    const tick = () => setNow(Date.now());
    // At once (the value may be stale from before it was active), then every interval.
    const first = setTimeout(tick, 0);
    const timer = setInterval(tick, intervalMs);
    return () => {
      clearTimeout(first);
      clearInterval(timer);
    };
  }, [active, intervalMs]);
  return now;
}
