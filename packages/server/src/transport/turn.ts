/**
 * The end-of-turn flush shared by every DashboardOutbox, and the pace at which agents are read.
 *
 * Broadcasts are queued during an event-loop turn and written once at its end (one corked write
 * per dashboard). Left alone, one turn could take in up to 2 MB of an agent's output (libuv reads
 * a socket 64 KB at a time, up to 32 times per poll), and then hand 2 MB to each of 100
 * dashboards at once: turns of ~80 ms, and bursts over a dashboard's allowance (fan-out to 100:
 * ~8 gap markers a second on every dashboard, all of them reading). So an agent socket is paused
 * once a turn has taken in `TURN_BUDGET_BYTES` of distinct broadcasts, and resumed after the
 * flush. This paces agents by the server's own fan-out, never by a dashboard: a slow dashboard
 * drops its oldest output (see DashboardOutbox) and does not hold anything back.
 */

export interface Flushable {
  flush(): void;
}

/**
 * Distinct broadcast bytes one turn takes in before agent sockets are paused until the flush.
 * Fan-out to 100, alternating runs: 512 KB (with a socket high-water mark of one turn, see
 * DashboardSession) took 0.35-0.40 server core-s per delivered GB against 0.41-0.45 at 256 KB:
 * half the turns, so half the 100 writes, client wake-ups and timers that each turn costs.
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
