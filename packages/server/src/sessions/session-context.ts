import type { Logger } from 'pino';
import type { TokenService } from '../auth/tokens.js';
import type { Approvals } from '../core/approvals.js';
import type { AuditLog } from '../core/audit-log.js';
import type { ServerCounters } from '../core/counters.js';
import type { Broadcaster } from '../core/broadcaster.js';
import type { History } from '../core/event-log.js';
import type { Health } from '../core/health.js';
import type { Registry } from '../core/registry.js';
import type { StopAnswer, StopReached } from '../core/cluster/cluster-scheduler.js';
import type { Scheduler } from '../core/scheduler.js';
import type { ResolvedServerOptions } from '../options.js';
import type { Store } from '../ports/store.js';

/** What every session needs from the server; built once in server.ts. */
export interface SessionContext {
  readonly options: ResolvedServerOptions;
  readonly logger: Logger;
  readonly tokens: TokenService;
  readonly store: Store;
  readonly registry: Registry;
  readonly scheduler: Scheduler;
  readonly broadcaster: Broadcaster;
  readonly eventLog: History;
  readonly audit: AuditLog;
  /** Approval questions of AI runs, waiting or recently decided. */
  readonly approvals: Approvals;
  /** Whether the store and the bus work (every call to them reports here). */
  readonly health: Health;
  readonly serverVersion: string;
  /** What GET /metrics counts (a no-op for sessions made without metrics). */
  readonly counters: ServerCounters;
  /**
   * A node among several stops everything with its answer committed in the stop's transaction
   * (ClusterScheduler.emergencyStop); one server stops through its scheduler, then broadcasts.
   */
  readonly emergencyStop?: ((answer: StopAnswer) => Promise<StopReached>) | undefined;
  /** This node's name when it is one of several (docs/scale-out.md). */
  readonly nodeId?: string | undefined;
}
