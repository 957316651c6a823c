import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { Bus } from '@onsembl/server';

export interface RedisBusOptions {
  /** redis://[user:password@]host:port[/db] (rediss:// for TLS). */
  url: string;
  /** Put before every channel name, so several deployments (or test runs) share one Redis. Default `onsembl:`. */
  prefix?: string;
  /**
   * How often the bus checks that its subscription still delivers: it publishes a probe to itself
   * and reconnects the subscriber if the probe does not come back within two periods. Default 5 s.
   */
  probeIntervalMs?: number;
  /** Opening fails after this. Default 5 s. */
  connectTimeoutMs?: number;
  /** A command Redis has not answered by then fails (and its connection is replaced). Default 5 s. */
  commandTimeoutMs?: number;
  /** CLIENT SETNAME of both connections (what `CLIENT LIST` shows). Default `onsembl`. */
  connectionName?: string;
}

/** Reconnect delays: quick at first, then every 2 s for as long as Redis is away. */
const retryStrategy = (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), 2_000);

/**
 * The Bus port on Redis pub/sub (ioredis): one connection publishes, one subscribes. Delivery is
 * at most once, which is all Onsembl asks of a bus: every event is in the store with its offset,
 * so a node that misses one (Redis restarted, a subscriber killed) notices the gap and reads it
 * back. After any reconnect the subscriber subscribes again by itself (ioredis autoResubscribe),
 * and a probe it publishes to itself catches a subscription that went silent.
 */
export class RedisBus implements Bus {
  private readonly handlers = new Map<string, Set<(message: string) => void>>();
  private readonly watchers = new Set<(down: Error | undefined) => void>();
  private readonly probeChannel: string;
  private probeTimer: NodeJS.Timeout | undefined;
  /** The newest probe published (Redis accepted it), the newest received, probes missed in a row. */
  private probeSent = 0;
  private probeSeen = 0;
  private probeMisses = 0;
  private probing = false;
  private down: Error | undefined;
  private closed = false;

  private constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly prefix: string,
    probeIntervalMs: number,
  ) {
    this.probeChannel = `${prefix}__probe:${randomUUID()}`;
    sub.on('message', (channel: string, message: string) => this.deliver(channel, message));
    for (const connection of [pub, sub]) {
      connection.on('error', (err: Error) => this.report(err));
      connection.on('close', () => this.report(new Error(`connection to Redis closed`)));
      connection.on('ready', () => {
        if (pub.status === 'ready' && sub.status === 'ready') this.report(undefined);
      });
    }
    this.probeTimer = setInterval(() => this.probe(), probeIntervalMs);
    this.probeTimer.unref();
  }

  /** Connects both connections; an unreachable Redis or a bad URL fails here with one clear message. */
  static async open(options: RedisBusOptions): Promise<RedisBus> {
    const prefix = options.prefix ?? 'onsembl:';
    const common: RedisOptions = {
      lazyConnect: true,
      connectTimeout: options.connectTimeoutMs ?? 5_000,
      retryStrategy,
      maxRetriesPerRequest: 1,
      connectionName: options.connectionName ?? 'onsembl',
    };
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new Error(`not a Redis URL: ${redact(options.url)}`);
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(`not a Redis URL (redis:// or rediss://): ${redact(options.url)}`);
    // Publishing while Redis is away fails at once (and says so in /health) instead of queueing
    // in memory; what was not delivered is read back from the store.
    const pub = new Redis(options.url, { ...common, enableOfflineQueue: false, commandTimeout: options.commandTimeoutMs ?? 5_000 });
    const sub = new Redis(options.url, { ...common, autoResubscribe: true });
    let lastError: Error | undefined;
    const remember = (err: Error) => (lastError = err);
    pub.on('error', remember);
    sub.on('error', remember);
    try {
      await Promise.all([pub.connect(), sub.connect()]);
    } catch (err) {
      pub.disconnect();
      sub.disconnect();
      const cause = lastError ?? (err as Error);
      throw new Error(`Redis at ${redact(options.url)} is unreachable: ${cause.message}`, { cause });
    } finally {
      pub.off('error', remember);
      sub.off('error', remember);
    }
    const bus = new RedisBus(pub, sub, prefix, options.probeIntervalMs ?? 5_000);
    await sub.subscribe(bus.probeChannel);
    return bus;
  }

  async publish(topic: string, message: string): Promise<void> {
    await this.pub.publish(this.prefix + topic, message);
  }

  async subscribe(topic: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    const channel = this.prefix + topic;
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      await this.sub.subscribe(channel);
    }
    set.add(handler);
    return async () => {
      set.delete(handler);
      if (set.size === 0 && this.handlers.get(channel) === set) {
        this.handlers.delete(channel);
        if (!this.closed) await this.sub.unsubscribe(channel);
      }
    };
  }

  watch(listener: (down: Error | undefined) => void): void {
    this.watchers.add(listener);
    if (this.down) listener(this.down);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.probeTimer);
    this.handlers.clear();
    await Promise.all([this.pub.quit().catch(() => this.pub.disconnect()), this.sub.quit().catch(() => this.sub.disconnect())]);
  }

  private deliver(channel: string, message: string): void {
    if (channel === this.probeChannel) {
      this.probeSeen = Math.max(this.probeSeen, Number(message));
      return;
    }
    const set = this.handlers.get(channel);
    if (set) for (const handler of set) handler(message);
  }

  /**
   * A connection can stay open and carry nothing (a half-dead link, a failover): each period the bus
   * publishes a numbered probe to itself. A probe Redis does not accept in time replaces the
   * publishing connection; two periods without the last accepted probe coming back replace the
   * subscriber (which then subscribes again).
   */
  private probe(): void {
    if (this.closed || this.probing || this.pub.status !== 'ready' || this.sub.status !== 'ready') return;
    if (this.probeSeen < this.probeSent && ++this.probeMisses >= 2) {
      this.probeMisses = 0;
      this.probeSeen = this.probeSent;
      this.report(new Error('the Redis subscription stopped delivering: reconnecting it'));
      this.sub.disconnect(true);
      return;
    }
    if (this.probeSeen >= this.probeSent) this.probeMisses = 0;
    this.probing = true;
    const n = this.probeSent + 1;
    this.pub.publish(this.probeChannel, String(n)).then(
      () => {
        this.probeSent = n;
      },
      (err: unknown) => {
        this.report(err instanceof Error ? err : new Error(String(err)));
        if (!this.closed) this.pub.disconnect(true);
      },
    ).finally(() => {
      this.probing = false;
    });
  }

  private report(down: Error | undefined): void {
    if (this.closed) return;
    if ((down === undefined) === (this.down === undefined)) {
      if (down) this.down = down;
      return;
    }
    this.down = down;
    for (const watcher of this.watchers) watcher(down);
  }
}

/** A URL with its password replaced, for messages and logs. */
function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}
