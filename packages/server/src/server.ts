import type { Server } from 'node:http';
import { mkdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Role, type AgentInfo } from '@onsembl/protocol';
import { lockDataDir } from './adapters/data-dir-lock.js';
import { MemoryBus } from './adapters/memory-bus.js';
import { SqliteStore } from './adapters/sqlite-store.js';
import { loadKeyring } from './auth/keyring.js';
import { watchKeyring } from './auth/keyring-watch.js';
import { TokenService } from './auth/tokens.js';
import { ApprovalBroker, type Approvals } from './core/approvals.js';
import { AuditLog } from './core/audit-log.js';
import { LocalBroadcaster } from './core/broadcaster.js';
import { Retention } from './core/retention.js';
import { EventLog } from './core/event-log.js';
import { Dependency, Health } from './core/health.js';
import { watchBus, watchStore } from './core/watch-ports.js';
import { OutputPipeline } from './core/output-pipeline.js';
import { TracePipeline } from './core/trace-pipeline.js';
import { Registry } from './core/registry.js';
import { Scheduler, type SchedulerOptions } from './core/scheduler.js';
import { startClusterApprovals } from './core/cluster/cluster-approvals.js';
import { resolveClusterOptions, startClusterCore } from './core/cluster/cluster-core.js';
import { createRequestHandler } from './http/request-handler.js';
import { createLogger } from './logging.js';
import { resolveOptions, type ServerOptions } from './options.js';
import type { SessionContext } from './sessions/session-context.js';
import type { Bus } from './ports/bus.js';
import type { Store } from './ports/store.js';
import type { Logger } from 'pino';
import { Endpoints } from './transport/endpoints.js';
import { afterTurnFlush, turnIsFull } from './transport/turn.js';
import { createListener } from './tls.js';
import { timeStoreWrites } from './core/timed-store.js';
import { ServerMetrics } from './http/metrics.js';
import type { ServerCounters } from './core/counters.js';

const require = createRequire(import.meta.url);
/** The topic a bus probe publishes on while the bus is down (nobody subscribes to it). */
const HEALTH_PROBE_TOPIC = 'health-probe';
export const SERVER_VERSION: string = (require('../package.json') as { version: string }).version;

export interface OnsemblServer {
  readonly port: number;
  readonly host: string;
  /** http://host:port, or https:// with TLS */
  readonly httpUrl: string;
  /** ws://host:port, or wss:// with TLS */
  readonly wsUrl: string;
  readonly context: SessionContext;
  issueToken(role: 'dashboard' | 'agent' | 'metrics', name: string, ttlSeconds?: number): Promise<string>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** The built dashboard, when @onsembl/web is installed and built. */
function defaultWebRoot(): string | undefined {
  try {
    const dist = join(dirname(require.resolve('@onsembl/web/package.json')), 'dist');
    return existsSync(join(dist, 'index.html')) ? dist : undefined;
  } catch {
    return undefined;
  }
}

/** The core of one server on its own: its event log numbers events, its bus is in this process. */
async function startLocalCore(store: Store, bus: Bus, schedulerOptions: SchedulerOptions, logger: Logger, metrics: ServerCounters) {
  const pipeline = new OutputPipeline(store);
  const tracePipeline = new TracePipeline(store);
  const eventLog = await EventLog.open(store, async () => {
    await Promise.all([pipeline.flush(), tracePipeline.flush()]);
  });
  const broadcaster = new LocalBroadcaster(bus, eventLog, metrics);
  await broadcaster.start();
  const registry = new Registry(store, broadcaster);
  await registry.load();
  const scheduler: Scheduler = new Scheduler(store, registry, broadcaster, pipeline, tracePipeline, schedulerOptions, logger);
  await scheduler.load();
  return { pipeline, tracePipeline, eventLog, broadcaster, registry, scheduler, stop: async () => undefined };
}

export async function startServer(input: ServerOptions): Promise<OnsemblServer> {
  const options = resolveOptions(input);
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const logger = input.logger ?? createLogger(options.logLevel);
  const tokens = new TokenService(options.jwtSecret ?? loadKeyring(options.dataDir));
  // The data dir's secret can be rotated under a running server (onsembl secret rotate).
  const stopKeyringWatch = options.jwtSecret || process.env.ONSEMBL_JWT_SECRET
    ? () => undefined
    : watchKeyring(options.dataDir, tokens, options.secretReloadMs, logger);
  // The embedded store's file is this process's alone: a second server on it would read the live
  // server's open marker as a crash and rotate the epoch (every dashboard would reset).
  const lock = input.store ? undefined : lockDataDir(options.dataDir);
  const rawStore = input.store ?? new SqliteStore(join(options.dataDir, 'onsembl.db'));
  const rawBus = input.bus ?? new MemoryBus();
  // Every store and bus call reports to one Health (GET /health) and fails as a DependencyError.
  const health = new Health(logger);
  // GET /metrics: counted as the server works; the gauges are read when scraped.
  const metrics: ServerMetrics = new ServerMetrics({
    connections: () => ({ dashboard: endpoints.dashboards.size, agent: endpoints.agents.size }),
    agents: (): AgentInfo[] => registry.list(),
  });
  const store = watchStore(timeStoreWrites(rawStore, metrics), health);
  const bus = watchBus(rawBus, health, logger);
  health.setProbe(Dependency.store, () => rawStore.eventBounds());
  health.setProbe(Dependency.bus, () => rawBus.publish(HEALTH_PROBE_TOPIC, ''));
  const schedulerOptions = {
    queueCapacity: options.queueCapacity,
    defaultTimeoutMs: options.defaultTimeoutMs,
    timeoutGraceMs: 5_000,
    counters: metrics,
  };
  // One node on its own (the embedded default), or a node among several on a shared store and bus.
  const coordination = input.coordination === undefined ? undefined : watchStore(input.coordination, health);
  const clusterOptions = resolveClusterOptions(input.cluster);
  const cluster = coordination === undefined
    ? undefined
    : await startClusterCore(store, coordination, bus, schedulerOptions, clusterOptions, logger, metrics, { full: turnIsFull, after: afterTurnFlush });
  if (cluster && rawStore.positions !== 'store') throw new Error('several nodes need a store that numbers events itself (PostgreSQL)');
  const core = cluster ?? (await startLocalCore(store, bus, schedulerOptions, logger, metrics));
  const { eventLog, broadcaster, registry, scheduler } = core;

  const audit = new AuditLog(store, logger);
  const approvals: Approvals = cluster && coordination
    ? await startClusterApprovals(cluster, coordination, audit, logger, { timeoutMs: options.approvalTimeoutMs, graceMs: clusterOptions.leaseMs })
    : new ApprovalBroker(registry, scheduler, broadcaster, audit, logger, { timeoutMs: options.approvalTimeoutMs });
  scheduler.onFinished((commandId) => approvals.commandEnded(commandId));
  const retention = new Retention(store, options, logger);
  retention.start();
  const context: SessionContext = {
    options, logger, tokens, store, registry, scheduler, broadcaster, eventLog, audit, approvals, health, serverVersion: SERVER_VERSION, counters: metrics,
    nodeId: cluster ? cluster.registry.nodeId : undefined,
    emergencyStop: cluster ? (answer) => cluster.scheduler.emergencyStop(answer) : undefined,
  };
  const endpoints = new Endpoints(context);
  const webRoot = options.webRoot === null ? undefined : (options.webRoot ?? defaultWebRoot());
  const http: Server = createListener(
    input.tls,
    // Node checks header/request timeouts only every connectionsCheckingInterval (30 s by default).
    { connectionsCheckingInterval: Math.min(1_000, options.slowRequestTimeoutMs), headersTimeout: options.slowRequestTimeoutMs },
    createRequestHandler(context, { dashboards: () => endpoints.dashboards.size, agents: () => endpoints.agents.size }, webRoot, metrics),
  );
  // Bounds for hostile clients: header count and size, and slow requests.
  http.maxHeadersCount = 100;
  http.requestTimeout = Math.max(30_000, options.slowRequestTimeoutMs);
  http.on('upgrade', (req, socket, head) => endpoints.handleUpgrade(req, socket, head));
  http.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => {
      http.off('error', reject);
      resolve();
    });
  }).catch(async (err: unknown) => {
    // Port taken, say: close what started, so the store is closed cleanly (a store left open reads
    // as a crash on the next start: new epoch, no resume).
    await endpoints.close();
    await core.stop();
    await retention.stop();
    await broadcaster.stop();
    if (!input.store) await store.close();
    stopKeyringWatch();
    lock?.release();
    throw err;
  });
  const port = (http.address() as AddressInfo).port;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  logger.info({ port, host: options.host, tls: input.tls !== undefined, dataDir: options.dataDir, web: webRoot !== undefined }, 'onsembl server listening');

  /**
   * Stores what is pending (output, command states, agents, events, audit), waiting at most
   * shutdownFlushMs for a failing store; then gives up. Resolves with how many events were lost.
   */
  const drain = async (): Promise<number> => {
    const drained = (async () => {
      await scheduler.close();
      await registry.settled();
      await eventLog.flush();
      await audit.flush();
    })();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), options.shutdownFlushMs)));
    const inTime = await Promise.race([drained.then(() => true), late]);
    clearTimeout(timer);
    if (inTime) return 0;
    logger.error({ waitedMs: options.shutdownFlushMs, down: health.report() }, 'shutdown: the store did not take what was pending in time; giving up on it');
    await scheduler.abandon();
    registry.abandon();
    const lost = await eventLog.abandon();
    const audits = await audit.abandon();
    await drained;
    if (lost + audits > 0) logger.error({ events: lost, audit: audits }, 'shutdown: not stored');
    return lost;
  };

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Stop accepting first; the callback runs once every connection has ended.
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
      await endpoints.close();
      http.closeAllConnections();
      await stopped;
      approvals.close();
      const lostEvents = await drain();
      await core.stop();
      await retention.stop();
      await broadcaster.stop();
      health.stop();
      await rawBus.close().catch((err: unknown) => logger.error({ err }, 'closing the bus failed'));
      // A history with events that were never stored must not be resumed: the store says so.
      await rawStore.close({ historyComplete: lostEvents === 0 }).catch((err: unknown) => logger.error({ err }, 'closing the store failed'));
      stopKeyringWatch();
      lock?.release();
      logger.info('onsembl server stopped');
    })());

  return {
    port,
    host: options.host,
    httpUrl: `${input.tls ? 'https' : 'http'}://${hostForUrl}:${port}`,
    wsUrl: `${input.tls ? 'wss' : 'ws'}://${hostForUrl}:${port}`,
    context,
    issueToken: (role, name, ttl) => tokens.issue(Role[role], name, ttl),
    close,
    [Symbol.asyncDispose]: close,
  };
}
