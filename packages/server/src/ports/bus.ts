/**
 * The fan-out port between server nodes (socket.io adapter style): publish a message on a topic,
 * every subscriber of that topic on every node gets it. Messages are strings, serialised once by the
 * publisher. Asynchronous so that Redis fits behind it later.
 */
export interface Bus {
  publish(topic: string, message: string): Promise<void>;
  /** Returns the function that unsubscribes. */
  subscribe(topic: string, handler: (message: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Topics the server uses. */
export const BusTopic = {
  /** Every serialised event for dashboards. */
  dashboardEvents: 'dashboard-events',
} as const;
