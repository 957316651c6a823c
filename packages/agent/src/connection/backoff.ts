/**
 * Delay before reconnect attempt number `attempt` (0 for the first): the delays in order with ±jitter,
 * the last one repeating forever. Agents never give up; jitter spreads a fleet's reconnections after
 * a server restart.
 */
export function reconnectDelayMs(
  attempt: number,
  delaysMs: readonly number[],
  jitter: number,
  random: () => number = Math.random,
): number {
  const base = delaysMs[Math.min(attempt, delaysMs.length - 1)] ?? 0;
  const factor = 1 + jitter * (2 * random() - 1);
  return Math.max(0, Math.round(base * factor));
}
