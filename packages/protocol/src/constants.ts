/**
 * Every number and name of the Onsembl protocol lives here, and only here.
 * Values marked "spec" come from the WebSocket protocol specification; the rest are Onsembl decisions
 * documented in docs/protocol.md.
 */

/** The version this implementation speaks (spec: "Server supports version 1.0.0"). */
export const PROTOCOL_VERSION = '1.0.0' as const;
/** Any 1.x version is accepted; another major is refused with INVALID_MESSAGE. */
export const PROTOCOL_MAJOR = 1 as const;

export const Endpoint = {
  dashboard: '/ws/dashboard',
  agent: '/ws/agent',
  health: '/health',
  /** Prometheus text format; needs a `metrics` or `dashboard` token unless the operator turned that off. */
  metrics: '/metrics',
} as const;
export type Endpoint = (typeof Endpoint)[keyof typeof Endpoint];

export const Priority = { low: 'low', normal: 'normal', high: 'high' } as const;
export type Priority = (typeof Priority)[keyof typeof Priority];
/** Higher runs first. */
export const PriorityRank: Record<Priority, number> = { high: 2, normal: 1, low: 0 };

export const AgentStatus = { online: 'online', busy: 'busy', offline: 'offline' } as const;
export type AgentStatus = (typeof AgentStatus)[keyof typeof AgentStatus];

export const AgentType = { shell: 'shell', claude: 'claude', gemini: 'gemini', codex: 'codex' } as const;
export type AgentType = (typeof AgentType)[keyof typeof AgentType];

export const CommandStatus = {
  queued: 'queued',
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  timeout: 'timeout',
} as const;
export type CommandStatus = (typeof CommandStatus)[keyof typeof CommandStatus];
export const FINAL_COMMAND_STATUSES: ReadonlySet<CommandStatus> = new Set([
  CommandStatus.completed,
  CommandStatus.failed,
  CommandStatus.cancelled,
  CommandStatus.timeout,
]);

export const OutputStream = { stdout: 'stdout', stderr: 'stderr' } as const;
export type OutputStream = (typeof OutputStream)[keyof typeof OutputStream];

/** The `role` claim of a token. `metrics` may only read GET /metrics (for a Prometheus scraper). */
export const Role = { dashboard: 'dashboard', agent: 'agent', metrics: 'metrics' } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** Why a command is being interrupted; the agent uses it only for its own log and exit outcome. */
export const InterruptReason = { user: 'user', timeout: 'timeout', emergency: 'emergency' } as const;
export type InterruptReason = (typeof InterruptReason)[keyof typeof InterruptReason];

const COMPRESSION_THRESHOLD_BYTES = 10 * 1024;
const OUTPUT_ENVELOPE_MAX_BYTES = 448;

/** Sizes. */
export const Limits = {
  /** spec: "Maximum message size: 1MB" (enforced by the socket layer, also after inflate). */
  maxMessageBytes: 1024 * 1024,
  /** spec: "Terminal output chunked at 10KB": max bytes of `data` in one terminal:output. */
  outputChunkBytes: 10 * 1024,
  /**
   * Where the agent cuts output: bytes `data` takes in the message as a JSON string, escapes
   * included (UTF-8 alone undercounts: ESC is sent as the six bytes \u001b). The 10 KB compression
   * threshold minus `outputEnvelopeMaxBytes`, so every terminal:output a dashboard gets stays under
   * the threshold and goes out uncompressed, one frame shared by every dashboard, instead of being
   * deflated once per dashboard (measured in docs/performance.md).
   */
  outputChunkTargetBytes: COMPRESSION_THRESHOLD_BYTES - OUTPUT_ENVELOPE_MAX_BYTES,
  /**
   * The most a terminal:output message to dashboards takes besides its `data`: envelope, ids of
   * the longest allowed length, position (protocol test: output-envelope.test.ts).
   */
  outputEnvelopeMaxBytes: OUTPUT_ENVELOPE_MAX_BYTES,
  /** spec: "Compression for payloads >10KB": permessage-deflate threshold. */
  compressionThresholdBytes: COMPRESSION_THRESHOLD_BYTES,
  /** spec: "Maximum buffer size: 100KB": pending output per dashboard before the oldest is dropped. */
  dashboardSendBufferBytes: 100 * 1024,
  /**
   * Output a dashboard that keeps up may be handed within one event-loop turn before its oldest is
   * dropped anyway, in send buffers (`dashboardSendBufferBytes`, as configured): a turn takes in up
   * to the server's turn budget of agent output, and dropping at one buffer lost output for
   * dashboards that were reading.
   */
  dashboardBurstBuffers: 10,
  /**
   * Everything pending for one dashboard (output and the control messages that are never dropped),
   * in send buffers, past which it is closed with CloseCode.tooSlow to reconnect and resume.
   */
  dashboardCloseBuffers: 20,
  /** Most chunks one page of `GET /api/commands/:id/output?format=json` holds (its `limit`). */
  outputPageMaxChunks: 10_000,
  /** Per-agent queue capacity; beyond it command:request gets QUEUE_FULL. */
  queueCapacity: 100,
  /** Field limits (INVALID_MESSAGE beyond them). */
  commandMaxChars: 10_000,
  nameMaxChars: 128,
  idMaxChars: 128,
  tokenMaxChars: 8_192,
  messageTextMaxChars: 2_000,
  timeoutMaxMs: 7 * 24 * 3600 * 1000,
  /** Terminal sizes a dashboard may ask the agent's PTY for (protocol 1.x: cols/rows, terminal:resize). */
  terminalColsMin: 20,
  terminalColsMax: 500,
  terminalRowsMin: 5,
  terminalRowsMax: 200,
  /** Characters of one terminal:input (a paste is split by the dashboard). */
  terminalInputMaxChars: 4_096,
  /**
   * trace:event sizes (docs/agents.md). Assistant text or thinking per event: longer text is split
   * into several events. Escaped as JSON every limit here stays far under maxMessageBytes.
   */
  traceTextMaxChars: 16 * 1024,
  /** Kept of a tool result; the full size travels as `outputBytes`. */
  traceToolOutputMaxChars: 8 * 1024,
  /** A tool call's input as JSON; a larger input is sent as the cut JSON text with `inputTruncated`. */
  traceInputMaxChars: 4 * 1024,
  /** The one-line gist of a tool call, as shown in the terminal. */
  traceSummaryMaxChars: 512,
  /** A unified diff of a file change. */
  traceDiffMaxChars: 16 * 1024,
  /**
   * The most one trace event (`trace:event.event`) takes as JSON, in UTF-8 bytes; a larger one is
   * refused with INVALID_MESSAGE. Each field's own limit keeps a well-formed event under it,
   * escapes included; it bounds what the free-form `tool_call.input` can carry.
   */
  traceEventMaxBytes: 128 * 1024,
  /** Trace events an agent keeps unacknowledged per command; beyond it the agent holds the CLI (its writes block) until acknowledgements catch up. */
  traceUnackedMax: 10_000,
  /**
   * Approval questions one agent may have waiting at once (1.x); one more gets INVALID_MESSAGE and
   * the agent denies it. A CLI asks one at a time, or a few for parallel tool calls.
   */
  approvalsPendingMax: 16,
  /** Decided approvals the server remembers, to answer a late or second answer with who decided. */
  approvalsDecidedKept: 1_000,
} as const;

/** Timings, in milliseconds. Servers and clients take them as defaults and allow overrides for tests. */
export const Timings = {
  /** spec: "Batch output every 50ms"; "Terminal output buffered for 50ms before sending". */
  outputBatchMs: 50,
  /** spec: "Client sends heartbeat every 30 seconds". */
  heartbeatIntervalMs: 30_000,
  /** spec: "Connection considered dead after 60 seconds without heartbeat". */
  heartbeatTimeoutMs: 60_000,
  /** spec: "Heartbeat: exactly 1 per 30 seconds"; we allow 20 % early. */
  heartbeatTolerance: 0.2,
  /** A socket that opened without a token must send dashboard:connect within this time. */
  authTimeoutMs: 5_000,
  /** Interrupt escalation: SIGINT, then SIGTERM after this, then SIGKILL after this again. */
  interruptGraceMs: 1_000,
  /** An approval question nobody answers within this is denied (server option approvalTimeoutMs). */
  approvalTimeoutMs: 5 * 60_000,
} as const;

/** Rate limits (spec: "Max 100 messages/second per connection", "Command requests: max 10/minute"). */
export const RateLimits = {
  messagesPerSecond: 100,
  commandsPerMinute: 10,
  /** Excess messages tolerated (answered with RATE_LIMIT) before the socket is closed with 1008. */
  abuseThreshold: 200,
} as const;

/** spec: "Exponential backoff: 1s, 2s, 4s, 8s, 16s, 30s (max)", "±20% jitter", "After 5 failures ...". */
export const Reconnect = {
  delaysMs: [1_000, 2_000, 4_000, 8_000, 16_000, 30_000],
  maxDelayMs: 30_000,
  jitter: 0.2,
  maxFailures: 5,
} as const;
