/**
 * The fan-out port between server nodes (socket.io adapter style): publish a message on a topic,
 * every subscriber of that topic on every node gets it. Messages are strings, serialised once by the
 * publisher. Delivery is best effort: a bus may lose messages (while Redis is down, say), so what
 * must not be lost is in the store, and receivers notice a lost event by its offset.
 */
export interface Bus {
  publish(topic: string, message: string): Promise<void>;
  /**
   * Returns the function that unsubscribes. A handler may be async (its promise is not awaited);
   * what it throws or rejects with is the caller's to report (see core/watch-ports.ts).
   */
  subscribe(topic: string, handler: (message: string) => void): Promise<() => Promise<void>>;
  /**
   * Optional: a bus with a connection of its own reports when it loses it (`down` = the error) and
   * when it is back (`undefined`), so /health can say so while no publish is failing.
   */
  watch?(listener: (down: Error | undefined) => void): void;
  close(): Promise<void>;
}

/** Topics the server uses. */
export const BusTopic = {
  /** Every serialised event for dashboards. */
  dashboardEvents: 'dashboard-events',
} as const;
