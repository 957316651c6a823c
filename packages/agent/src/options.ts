import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Limits, Reconnect, Timings, type AgentType } from '@onsembl/protocol';
import type { Logger } from 'pino';
import type { PolicyOptions } from './policy.js';
import { CLI_DEFINITIONS, isAiAgentType } from './runner/ai/cli-definitions.js';

/** claude, gemini and codex agents: how their CLI is run (docs/agents.md). */
export interface AiCliOptions {
  /** The CLI's path (default: its name on PATH). */
  path?: string;
  /** What the CLI answered to --version (checked before the agent starts: checkCli). */
  version?: string;
  /** --model for the CLI. */
  model?: string;
  /** Claude --permission-mode, Gemini --approval-mode, Codex --sandbox. */
  permissionMode?: string;
  /** Extra arguments, passed before the prompt. */
  args?: string[];
}

export interface AgentOptions {
  /**
   * ws://host:port (the path defaults to /ws/agent); http(s) is accepted and converted. Several
   * addresses (nodes of one cluster): each reconnect tries the next, with the same backoff.
   */
  url: string | readonly string[];
  /** JWT with role agent. Never logged; kept out of commands' environments. */
  token: string;
  /** Display name (default: the host name). */
  name?: string;
  /**
   * PEM certificate(s) of a private CA to trust for wss:// (default: the system's CAs). A server
   * certificate that does not verify against them, or names another host, stops the agent.
   */
  ca?: string | Buffer;
  /** Which runner runs commands (default 'shell'). */
  type?: AgentType;
  /** Glob patterns on the whole command text; deny wins; with allow set, only matching commands run. */
  policy?: PolicyOptions;
  /** Parent directory for spilled output (default: the OS temp dir). */
  spoolDir?: string;
  /** Unacknowledged output kept in memory, all commands together, before spilling (default 8 MiB). */
  memoryLimitBytes?: number;
  /** Defaults from Timings; the server's connection:ack values override them. */
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  /** Reconnect delays, ±20 % jitter (capped at the longest delay), the last repeating forever (default Reconnect.delaysMs). */
  reconnectDelaysMs?: readonly number[];
  /** Interrupt escalation step: SIGINT, SIGTERM after this, SIGKILL after this again. */
  interruptGraceMs?: number;
  /** How long a partial output chunk waits for more output. */
  outputBatchMs?: number;
  /** Default: pino to stderr. */
  logger?: Logger;
  /** Shell for `shell -c command` (default $SHELL, else /bin/sh). */
  shell?: string;
  /** Where commands run when the server names no directory (default: the agent's working directory). */
  cwd?: string;
  /** claude, gemini and codex agents: their CLI. */
  cli?: AiCliOptions;
}

export interface ResolvedOptions {
  /** Server addresses, tried in turn on each reconnect (several nodes, or one load balancer). */
  urls: readonly string[];
  token: string;
  ca: string | Buffer | undefined;
  name: string;
  hostname: string;
  type: AgentType;
  policy: PolicyOptions;
  spoolDir: string | undefined;
  memoryLimitBytes: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  reconnectDelaysMs: readonly number[];
  interruptGraceMs: number;
  outputBatchMs: number;
  shell: string;
  cwd: string;
  cli: AiCliOptions;
}

const DEFAULT_MEMORY_LIMIT_BYTES = 8 * 1024 * 1024;

/** Fills defaults and refuses values that would make the agent misbehave later, with a clear message. */
export function resolveOptions(options: AgentOptions): ResolvedOptions {
  if (typeof options.token !== 'string' || options.token.length === 0) throw new TypeError('token is required');
  if (options.url.length === 0) throw new TypeError('url is required (one server address, or several)');
  const host = truncate(hostname() || 'localhost', Limits.nameMaxChars);
  const resolved: ResolvedOptions = {
    urls: typeof options.url === 'string' ? [options.url] : [...options.url],
    token: options.token,
    ca: options.ca,
    name: truncate(options.name?.trim() || host, Limits.nameMaxChars),
    hostname: host,
    type: options.type ?? 'shell',
    policy: options.policy ?? {},
    spoolDir: options.spoolDir,
    memoryLimitBytes: options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? Timings.heartbeatIntervalMs,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? Timings.heartbeatTimeoutMs,
    reconnectDelaysMs: options.reconnectDelaysMs ?? Reconnect.delaysMs,
    interruptGraceMs: options.interruptGraceMs ?? Timings.interruptGraceMs,
    outputBatchMs: options.outputBatchMs ?? Timings.outputBatchMs,
    shell: options.shell ?? (process.env.SHELL || '/bin/sh'),
    cwd: resolve(options.cwd ?? process.cwd()),
    cli: options.cli ?? {},
  };
  const mode = resolved.cli.permissionMode;
  if (mode !== undefined) {
    if (!isAiAgentType(resolved.type)) throw new RangeError('permissionMode applies to the claude, gemini and codex types only');
    const modes = CLI_DEFINITIONS[resolved.type].permissionModes;
    if (!modes.includes(mode)) throw new RangeError(`permission mode "${mode}" is not one of ${resolved.type}'s: ${modes.join(', ')}`);
  }
  for (const key of ['memoryLimitBytes', 'interruptGraceMs', 'outputBatchMs'] as const) {
    requireNonNegative(key, resolved[key]);
  }
  for (const key of ['heartbeatIntervalMs', 'heartbeatTimeoutMs'] as const) {
    if (!(resolved[key] > 0)) throw new RangeError(`${key} must be a positive number of milliseconds`);
  }
  if (resolved.reconnectDelaysMs.length === 0) throw new RangeError('reconnectDelaysMs needs at least one delay');
  resolved.reconnectDelaysMs.forEach((delay, index) => requireNonNegative(`reconnectDelaysMs[${index}]`, delay));
  return resolved;
}

function requireNonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number`);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max);
}
