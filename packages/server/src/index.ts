export { startServer, SERVER_VERSION, type OnsemblServer } from './server.js';
export type { ServerOptions } from './options.js';
export { TokenService, DEFAULT_TOKEN_TTL_SECONDS, type VerifiedToken } from './auth/tokens.js';
export { loadOrCreateSecret, resolveDataDir } from './auth/secret.js';
export { loadKeyring, rotateSecret, PREVIOUS_SECRETS_FILE, type Keyring, type RetiredSecret } from './auth/keyring.js';
export { writePrivateFile } from './auth/private-file.js';
export { createLogger, redactUrl } from './logging.js';
export type {
  Store, AgentRecord, CommandRecord, StoredOutputChunk, CommandFilter, CommandPatch, CommandUsage, TraceRecord, UsageFilter,
  UsageSums, UsageSummary, StoredEvent, ReadEvent, EventReference, PurgeCounts, RetentionCutoffs, AuditEntry, AuditFilter,
  NewEvent, CloseOptions,
} from './ports/store.js';
export type { Bus } from './ports/bus.js';
export type { Coordination, Fence, FencedEvent, UnfinishedCommand, AgentPresence, ClusterHint, ApprovalWrite, StoredApproval, StopOutcome } from './ports/coordination.js';
export { SqliteStore } from './adapters/sqlite-store.js';
// Row mapping shared by the SQL stores (this package's SQLite one and @onsembl/store-postgres).
export {
  agentFromRow, commandFromRow, chunkFromRow, traceFromRow, usageSumsFromRow, eventFromRow, auditFromRow, COMMAND_PATCH_COLUMNS,
  type AgentRow, type CommandRow, type OutputRow, type TraceRow, type UsageSumsRow, type EventRow, type AuditRow,
} from './adapters/store-rows.js';
export { DataDirInUseError } from './adapters/data-dir-lock.js';
export { MemoryBus } from './adapters/memory-bus.js';
export type { TlsOptions } from './tls.js';
