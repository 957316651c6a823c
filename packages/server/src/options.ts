import { Limits, RateLimits, Timings } from '@onsembl/protocol';
import type { LevelWithSilent, Logger } from 'pino';
import type { Bus } from './ports/bus.js';
import type { Store } from './ports/store.js';
import type { Coordination } from './ports/coordination.js';
import type { ClusterOptions } from './core/cluster/cluster-core.js';
import type { TlsOptions } from './tls.js';

const DAY = 24 * 3_600_000;

export interface ServerOptions {
  /** 0 picks a free port. Default 3001. */
  port?: number;
  /** Default 127.0.0.1: reachable from this machine only unless told otherwise. */
  host?: string;
  /** Serve https and wss with this certificate (default: plain http and ws, e.g. behind a TLS proxy). */
  tls?: TlsOptions;
  dataDir: string;
  /** Default: ONSEMBL_JWT_SECRET, else the secret kept in the data dir (created with mode 0600). */
  jwtSecret?: string;
  /** How often the data dir's secret files are checked for a rotation. Default 5 s. */
  secretReloadMs?: number;
  /** Directory of the built dashboard served at `/`. Default: @onsembl/web's dist. */
  webRoot?: string | null;
  logLevel?: LevelWithSilent;
  logger?: Logger;
  /** Ports: default SqliteStore in dataDir and an in-process MemoryBus. */
  store?: Store;
  bus?: Bus;
  /**
   * Behind a reverse proxy: the audit log's client address comes from X-Forwarded-For and the Origin
   * check uses X-Forwarded-Proto and X-Forwarded-Host. Default false: those headers are ignored.
   */
  trustProxy?: boolean;
  /** GET /metrics needs a metrics or dashboard token ('token', the default), or nothing ('none'). */
  metricsAuth?: 'token' | 'none';
  /**
   * Several nodes (docs/scale-out.md): what they agree on, in the shared store (PostgresStore's
   * `coordination`). With it the server is one node among several; `store` must then number events
   * itself (positions 'store') and `bus` reach every node.
   */
  coordination?: Coordination;
  cluster?: ClusterOptions;
  /** Browser Origins allowed to open sockets; default: same host as the server only. '*' allows any. */
  allowedOrigins?: readonly string[];
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  authTimeoutMs?: number;
  queueCapacity?: number;
  defaultTimeoutMs?: number;
  maxMessageBytes?: number;
  messagesPerSecond?: number;
  commandsPerMinute?: number;
  dashboardSendBufferBytes?: number;
  /** An HTTP request (or upgrade) whose headers have not all arrived by then is dropped (slowloris). */
  slowRequestTimeoutMs?: number;
  /** Retention (docs/delivery.md): output 30 days, audit 90 days, the replay log 24 hours. */
  outputRetentionMs?: number;
  auditRetentionMs?: number;
  eventRetentionMs?: number;
  purgeIntervalMs?: number;
  /** An approval question of an AI run nobody answers within this is denied. Default 5 min. */
  approvalTimeoutMs?: number;
  /** How long shutdown waits for a failing store to take what is pending before giving up. Default 10 s. */
  shutdownFlushMs?: number;
}

export type ResolvedServerOptions = Required<
  Omit<ServerOptions, 'tls' | 'jwtSecret' | 'logger' | 'store' | 'bus' | 'coordination' | 'cluster' | 'defaultTimeoutMs' | 'webRoot' | 'allowedOrigins'>
> & {
  jwtSecret: string | undefined;
  defaultTimeoutMs: number | undefined;
  webRoot: string | null | undefined;
  allowedOrigins: readonly string[] | undefined;
};

export function resolveOptions(options: ServerOptions): ResolvedServerOptions {
  return {
    port: options.port ?? 3001,
    host: options.host ?? '127.0.0.1',
    dataDir: options.dataDir,
    jwtSecret: options.jwtSecret,
    webRoot: options.webRoot,
    logLevel: options.logLevel ?? 'info',
    allowedOrigins: options.allowedOrigins,
    trustProxy: options.trustProxy ?? false,
    secretReloadMs: options.secretReloadMs ?? 5_000,
    metricsAuth: options.metricsAuth ?? 'token',
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? Timings.heartbeatIntervalMs,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? Timings.heartbeatTimeoutMs,
    authTimeoutMs: options.authTimeoutMs ?? Timings.authTimeoutMs,
    queueCapacity: options.queueCapacity ?? Limits.queueCapacity,
    defaultTimeoutMs: options.defaultTimeoutMs,
    maxMessageBytes: options.maxMessageBytes ?? Limits.maxMessageBytes,
    messagesPerSecond: options.messagesPerSecond ?? RateLimits.messagesPerSecond,
    commandsPerMinute: options.commandsPerMinute ?? RateLimits.commandsPerMinute,
    dashboardSendBufferBytes: options.dashboardSendBufferBytes ?? Limits.dashboardSendBufferBytes,
    slowRequestTimeoutMs: options.slowRequestTimeoutMs ?? 10_000,
    outputRetentionMs: options.outputRetentionMs ?? 30 * DAY,
    auditRetentionMs: options.auditRetentionMs ?? 90 * DAY,
    // Output events in the replay log refer to stored chunks: they cannot outlive them.
    eventRetentionMs: Math.min(options.eventRetentionMs ?? DAY, options.outputRetentionMs ?? 30 * DAY),
    purgeIntervalMs: options.purgeIntervalMs ?? 3_600_000,
    shutdownFlushMs: options.shutdownFlushMs ?? 10_000,
    approvalTimeoutMs: options.approvalTimeoutMs ?? Timings.approvalTimeoutMs,
  };
}
