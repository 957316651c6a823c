import type { IncomingMessage, ServerResponse } from 'node:http';
import { Role, type AgentInfo, type CommandStatus } from '@onsembl/protocol';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TokenService } from '../auth/tokens.js';
import { SocketRole, type ServerCounters } from '../core/counters.js';
import { sendJson } from './http-reply.js';

/** What the gauges read when scraped (nothing is kept up to date for them between scrapes). */
export interface MetricsSources {
  connections(): Record<SocketRole, number>;
  agents(): readonly AgentInfo[];
}

/**
 * Process metrics (CPU, memory, handles, GC, event-loop delay) are the process's, not one server's:
 * one registry for the process, started at the first scrape, so servers nobody scrapes (tests, the
 * bench) run no event-loop monitor.
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: 10 });
  }
  return processRegistry;
}

/** A label child per value, looked up once: `labels()` hashes its arguments on every call. */
class Children<T> {
  private readonly byKey = new Map<string, T>();
  constructor(private readonly make: (...labels: string[]) => T) {}
  get(a: string, b?: string): T {
    const key = b === undefined ? a : `${a}\u0000${b}`;
    let child = this.byKey.get(key);
    if (!child) this.byKey.set(key, (child = b === undefined ? this.make(a) : this.make(a, b)));
    return child;
  }
}

const DURATION_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600];
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];

/** The server's counters as Prometheus metrics, one registry per server. */
export class ServerMetrics implements ServerCounters {
  readonly registry = new Registry();
  private readonly receivedBy: Children<Counter.Internal>;
  private readonly sentBy: Children<Counter.Internal>;
  private readonly bytesBy: Children<Counter.Internal>;
  private readonly finishedBy: Children<Counter.Internal>;
  private readonly durationBy: Children<Histogram.Internal<string>>;
  private readonly storeBy: Children<Histogram.Internal<string>>;
  private readonly dropped: Counter;
  private readonly gaps: Counter;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    const received = new Counter({ name: 'onsembl_messages_received_total', help: 'Messages received, by endpoint and type (invalid: failed validation)', labelNames: ['role', 'type'], registers });
    const sent = new Counter({ name: 'onsembl_messages_sent_total', help: 'Messages handed to sockets, by endpoint and type (a broadcast counts once per dashboard)', labelNames: ['role', 'type'], registers });
    const bytes = new Counter({ name: 'onsembl_bytes_sent_total', help: 'Message payload bytes handed to sockets, before compression', labelNames: ['role'], registers });
    const finished = new Counter({ name: 'onsembl_commands_finished_total', help: 'Commands that reached a final status', labelNames: ['status'], registers });
    const duration = new Histogram({ name: 'onsembl_command_duration_seconds', help: 'How long finished commands ran (from start to exit)', labelNames: ['status'], buckets: DURATION_BUCKETS, registers });
    const store = new Histogram({ name: 'onsembl_store_write_seconds', help: 'Latency of store calls that write one batch (output, trace, events, audit)', labelNames: ['call'], buckets: STORE_BUCKETS, registers });
    this.dropped = new Counter({ name: 'onsembl_output_chunks_dropped_total', help: 'Output chunks dropped for dashboards that could not keep up', registers });
    this.gaps = new Counter({ name: 'onsembl_output_gaps_total', help: 'output:gap markers sent to dashboards', registers });
    this.receivedBy = new Children((role, type) => received.labels(role, type));
    this.sentBy = new Children((role, type) => sent.labels(role, type));
    this.bytesBy = new Children((role) => bytes.labels(role));
    this.finishedBy = new Children((status) => finished.labels(status));
    this.durationBy = new Children((status) => duration.labels(status));
    this.storeBy = new Children((call) => store.labels(call));
    new Gauge({
      name: 'onsembl_connections', help: 'Open WebSocket connections, by endpoint', labelNames: ['role'], registers,
      collect() {
        const open = sources.connections();
        for (const role of Object.values(SocketRole)) this.set({ role }, open[role]);
      },
    });
    new Gauge({
      name: 'onsembl_queue_depth', help: 'Commands waiting in each agent\'s queue', labelNames: ['agent'], registers,
      collect() {
        this.reset();
        for (const agent of sources.agents()) this.set({ agent: agent.id }, agent.queueLength ?? 0);
      },
    });
  }

  received(role: SocketRole, type: string): void {
    this.receivedBy.get(role, type).inc();
  }

  sent(role: SocketRole, type: string, count = 1): void {
    this.sentBy.get(role, type).inc(count);
  }

  bytesSent(role: SocketRole, bytes: number): void {
    if (bytes > 0) this.bytesBy.get(role).inc(bytes);
  }

  outputDropped(chunks: number): void {
    if (chunks > 0) this.dropped.inc(chunks);
  }

  gapSent(): void {
    this.gaps.inc();
  }

  commandFinished(status: CommandStatus, durationMs: number | undefined): void {
    this.finishedBy.get(status).inc();
    if (durationMs !== undefined && durationMs >= 0) this.durationBy.get(status).observe(durationMs / 1000);
  }

  storeWrite(call: string, seconds: number): void {
    this.storeBy.get(call).observe(seconds);
  }

  /** The exposition text: this server's metrics, then the process's. */
  async text(): Promise<string> {
    const [own, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return `${own}\n${process}`;
  }
}

/**
 * GET /metrics. With `auth: 'token'` (the default) it needs a Bearer token of role metrics (made for
 * a scraper: it opens nothing else) or dashboard; `none` is for a port only the scraper can reach.
 */
export async function serveMetrics(
  req: IncomingMessage, res: ServerResponse, metrics: ServerMetrics, tokens: TokenService, auth: 'token' | 'none',
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'use GET' });
  if (auth === 'token') {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const verified = token === undefined ? undefined : await tokens.verify(token);
    const allowed = verified?.ok === true && (verified.token.role === Role.metrics || verified.token.role === Role.dashboard);
    if (!allowed) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      const reason = verified === undefined ? 'no Bearer token' : verified.ok ? `a token of role ${verified.token.role} cannot read metrics` : verified.reason;
      return sendJson(res, 401, { error: `authentication failed: ${reason}` });
    }
  }
  const body = await metrics.text();
  res.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}
