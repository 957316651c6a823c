import type { Bus } from '../ports/bus.js';

/**
 * In-process bus: delivery is synchronous inside publish, so events keep their order and nothing is
 * copied. Several servers in one process can share one instance to test cluster logic.
 */
export class MemoryBus implements Bus {
  private readonly topics = new Map<string, Set<(message: string) => void>>();
  private closed = false;

  async publish(topic: string, message: string): Promise<void> {
    this.publishSync(topic, message);
  }

  /** Same as publish, for callers on the hot path that must not allocate a promise per message. */
  publishSync(topic: string, message: string): void {
    if (this.closed) return;
    const handlers = this.topics.get(topic);
    if (!handlers) return;
    for (const handler of handlers) handler(message);
  }

  async subscribe(topic: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    let handlers = this.topics.get(topic);
    if (!handlers) this.topics.set(topic, (handlers = new Set()));
    handlers.add(handler);
    return async () => {
      handlers.delete(handler);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.topics.clear();
  }
}
