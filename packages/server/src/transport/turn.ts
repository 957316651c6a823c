/**
 * The end-of-turn flush shared by every DashboardOutbox, and the pace at which agents are read.
 *
 * Broadcasts are queued during an event-loop turn and written once at its end (one corked write
 * per dashboard). Left alone, one turn could take in up to 2 MB of an agent's output (libuv reads
 * a socket 64 KB at a time, up to 32 times per poll), and then hand 2 MB to each of 100
 * dashboards at once: long turns, and bursts over a dashboard's allowance that dropped output for
 * dashboards that were reading. So an agent socket is paused
 * once a turn has taken in `TURN_BUDGET_BYTES` of distinct broadcasts, and resumed after the
 * flush. This paces agents by the server's own fan-out, never by a dashboard: a slow dashboard
 * drops its oldest output (see DashboardOutbox) and does not hold anything back.
 */

export interface Flushable {
  flush(): void;
}

/**
 * Distinct broadcast bytes one turn takes in before agent sockets are paused until the flush.
 * Most of what a turn costs is per turn (a write, a client wake-up and timers for each dashboard),
 * so larger turns cost less per delivered byte; larger budgets than this gained nothing more in the
 * bench (docs/performance-log.md). It is also each dashboard's socket high-water mark (see
 * DashboardSession).
 */
export const TURN_BUDGET_BYTES = 512 * 1024;

const dirty = new Set<Flushable>();
let afterFlush: Array<() => void> = [];
let scheduled = false;
let bytesThisTurn = 0;
let turnNumber = 0;

function flushAll(): void {
  scheduled = false;
  bytesThisTurn = 0;
  const batch = [...dirty];
  dirty.clear();
  for (const o of batch) o.flush();
  // Only now: while flushing, the turn being flushed is still the current one (see shared-message.ts).
  turnNumber++;
  const callbacks = afterFlush;
  afterFlush = [];
  for (const callback of callbacks) callback();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(flushAll);
}

/** Flushes `outbox` at the end of this turn. */
export function scheduleFlush(outbox: Flushable): void {
  dirty.add(outbox);
  schedule();
}

export function cancelFlush(outbox: Flushable): void {
  dirty.delete(outbox);
}

/** Which turn this is: it changes once every outbox dirty in it has been flushed. */
export function currentTurn(): number {
  return turnNumber;
}

/** Counts the bytes of a broadcast encoded this turn (once, however many dashboards get it). */
export function countTurnBytes(bytes: number): void {
  bytesThisTurn += bytes;
}

/** Whether this turn has taken in enough: agents should stop being read until `afterTurnFlush`. */
export function turnIsFull(): boolean {
  return bytesThisTurn >= TURN_BUDGET_BYTES;
}

/** Runs `callback` once this turn's flush is done. */
export function afterTurnFlush(callback: () => void): void {
  afterFlush.push(callback);
  schedule();
}
