import type {
  AgentInfo, AuditListResponse, CommandListResponse, CommandStatus, HistoryCommand, OutputPageResponse, TracePageResponse,
  UsageResponse,
} from '@onsembl/protocol';
import { Limits } from '@onsembl/protocol';
import type { OutputGap } from './types.js';

/** Shapes of the REST API come from the protocol package, like every message. */
export type { HistoryCommand };
/** One stored output chunk. */
export type HistoryChunk = OutputPageResponse['chunks'][number];
/** `GET /api/commands/:id/output?format=json`. */
export type OutputPage = OutputPageResponse;

/** One entry of `GET /api/audit`. */
export type AuditEntry = AuditListResponse['entries'][number];

/** `GET /api/commands/:id/trace`: an AI run's stored trace events. */
export type TracePage = TracePageResponse;
/** `GET /api/usage`: token and cost totals. */
export type UsageReport = UsageResponse;

export interface UsageQuery {
  agentId?: string;
  /** queuedAt bounds (ms since epoch), inclusive. */
  since?: number;
  until?: number;
  /** Rows of `byCommand`, 1 to 1000 (server default 100). */
  limit?: number;
  cursor?: string;
}

/** Where the next page of a listing starts: the server's opaque `next`, passed back as is. */
export type CommandCursor = string;

export interface CommandQuery {
  agentId?: string;
  status?: CommandStatus | readonly CommandStatus[];
  /** queuedAt bounds (ms since epoch), inclusive. */
  since?: number;
  until?: number;
  /** Full-text search on the command text (every word, as a prefix). */
  q?: string;
  /** Page size, 1 to 1000 (server default 100). */
  limit?: number;
  /** The `next` of the previous page. */
  cursor?: CommandCursor;
}

export interface CommandPage {
  commands: HistoryCommand[];
  /** Present when there may be older commands: pass it as `cursor`. */
  next?: CommandCursor;
}

export interface AuditQuery {
  since?: number;
  until?: number;
  actor?: string;
  action?: string;
  limit?: number;
  /** Entries with a smaller id (the `id` of the last entry of the previous page). */
  before?: number;
}

/** What `missingOutput` could read back for a gap. */
export interface MissingOutput {
  commandId: string;
  fromSequence: number;
  nextSequence: number;
  /** The chunks found, in sequence order, each in [fromSequence, nextSequence). */
  chunks: HistoryChunk[];
  /** Every sequence of the range was found. False when retention purged some, or they never arrived in time. */
  complete: boolean;
}

export interface MissingOutputOptions {
  /**
   * The server stores output in small batches, so chunks a dashboard was just told about may not be
   * readable yet: `missingOutput` asks again until they are, or until this long has passed (default 5 s).
   */
  waitMs?: number;
  signal?: AbortSignal;
}

export type FetchLike = (input: string, init?: { headers?: Record<string, string>; signal?: AbortSignal }) => Promise<Response>;

export interface HistoryApiOptions {
  /**
   * The server's HTTP base (`http://host:3001`). Default: derived from `url`, the dashboard
   * WebSocket URL (ws→http, wss→https, same host, the path's `/ws/...` dropped).
   */
  baseUrl?: string;
  url?: string;
  /** The dashboard JWT, or a function returning the current one (it may be refreshed). */
  token: string | (() => string);
  /** Default: the global `fetch` (browsers, Node 18+). */
  fetch?: FetchLike;
}

/** A refused or failed API request: `status` is the HTTP status (0 when the request never got an answer). */
export class HistoryApiError extends Error {
  /** `cause`: what failed underneath when there was no answer (e.g. a refused certificate). */
  constructor(readonly status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HistoryApiError';
  }
}

const POLL_MS = 50;

/** The HTTP base of a server from its dashboard WebSocket URL: `ws://h:3001/ws/dashboard` → `http://h:3001`. */
export function apiBaseFor(wsUrl: string): string {
  const url = new URL(wsUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : url.protocol === 'ws:' ? 'http:' : url.protocol;
  const cut = url.pathname.indexOf('/ws/');
  url.pathname = cut >= 0 ? url.pathname.slice(0, cut) : url.pathname.replace(/\/+$/, '');
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/+$/, '');
}

/**
 * The history REST API (read-only, the dashboard JWT as a Bearer token): agents, commands with
 * filters and full-text search, one command, its output as text or chunks, and the audit log.
 * Works wherever `fetch` does (browsers, Node 18+).
 */
export class HistoryApi {
  readonly baseUrl: string;
  readonly #token: () => string;
  readonly #fetch: FetchLike;

  constructor(options: HistoryApiOptions) {
    const base = options.baseUrl ?? (options.url ? apiBaseFor(options.url) : undefined);
    if (!base) throw new TypeError('HistoryApi needs baseUrl, or url (the dashboard WebSocket URL) to derive it from');
    this.baseUrl = base.replace(/\/+$/, '');
    const { token } = options;
    this.#token = typeof token === 'function' ? token : () => token;
    if (!options.fetch && typeof globalThis.fetch !== 'function') throw new TypeError('no fetch implementation: pass options.fetch');
    // Looked up at call time (and called as a plain function: browsers want `this` to be window).
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  async agents(): Promise<AgentInfo[]> {
    return (await this.#json<{ agents: AgentInfo[] }>('/api/agents')).agents;
  }

  /** Newest first; pass `next` back as `cursor` for the page after. */
  async commands(query: CommandQuery = {}): Promise<CommandPage> {
    const params = new URLSearchParams();
    if (query.agentId) params.set('agentId', query.agentId);
    const statuses = typeof query.status === 'string' ? [query.status] : query.status ?? [];
    if (statuses.length > 0) params.set('status', statuses.join(','));
    if (query.since !== undefined) params.set('since', String(query.since));
    if (query.until !== undefined) params.set('until', String(query.until));
    if (query.q?.trim()) params.set('q', query.q.trim());
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.cursor) params.set('cursor', query.cursor);
    const page = await this.#json<CommandListResponse>(`/api/commands?${params}`);
    return page.next === undefined ? { commands: page.commands } : { commands: page.commands, next: page.next };
  }

  async command(id: string): Promise<HistoryCommand> {
    return (await this.#json<{ command: HistoryCommand }>(`/api/commands/${encodeURIComponent(id)}`)).command;
  }

  /** The whole stored output as text. */
  async output(id: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    const res = await this.#get(`/api/commands/${encodeURIComponent(id)}/output`, options.signal);
    return res.text();
  }

  /** Stored chunks with a sequence above `after` (default 0), at most `limit` (1 to 10 000; server default 1000). */
  async outputChunks(id: string, options: { after?: number; limit?: number; signal?: AbortSignal } = {}): Promise<OutputPage> {
    const params = new URLSearchParams({ format: 'json', after: String(options.after ?? 0) });
    if (options.limit !== undefined) params.set('limit', String(options.limit));
    return this.#json<OutputPage>(`/api/commands/${encodeURIComponent(id)}/output?${params}`, options.signal);
  }

  /**
   * Reads back the chunks an `output:gap` said this dashboard missed (sequences fromSequence to
   * nextSequence - 1), waiting briefly for ones not stored yet. Resolves with what it found and
   * whether that is all of them.
   */
  async missingOutput(gap: Pick<OutputGap, 'commandId' | 'fromSequence' | 'nextSequence'>, options: MissingOutputOptions = {}): Promise<MissingOutput> {
    const { commandId, fromSequence, nextSequence } = gap;
    const deadline = Date.now() + (options.waitMs ?? 5_000);
    const found = new Map<number, HistoryChunk>();
    let after = Math.max(0, fromSequence - 1);
    for (;;) {
      const want = nextSequence - 1 - after;
      if (want <= 0) break;
      const page = await this.outputChunks(commandId, { after, limit: Math.min(Limits.outputPageMaxChunks, want), ...(options.signal ? { signal: options.signal } : {}) });
      for (const chunk of page.chunks) if (chunk.sequence >= fromSequence && chunk.sequence < nextSequence) found.set(chunk.sequence, chunk);
      const newest = page.chunks.at(-1)?.sequence;
      if (newest !== undefined && newest > after) {
        after = newest;
        continue;
      }
      // Nothing newer: either the chunks are still on their way to the store, or gone for good.
      const finishedAndStored = page.complete || page.lastSequence >= nextSequence - 1;
      if (finishedAndStored || Date.now() >= deadline) break;
      await sleep(POLL_MS, options.signal);
    }
    const chunks = [...found.values()].sort((a, b) => a.sequence - b.sequence);
    return { commandId, fromSequence, nextSequence, chunks, complete: chunks.length === Math.max(0, nextSequence - fromSequence) };
  }

  /** An AI run's stored trace events with a sequence above `after` (default 0), at most `limit` (server default 1000). */
  async trace(id: string, options: { after?: number; limit?: number; signal?: AbortSignal } = {}): Promise<TracePage> {
    const params = new URLSearchParams({ after: String(options.after ?? 0) });
    if (options.limit !== undefined) params.set('limit', String(options.limit));
    return this.#json<TracePage>(`/api/commands/${encodeURIComponent(id)}/trace?${params}`, options.signal);
  }

  /** Token and cost totals of AI runs: overall, per agent, per UTC day and per command. */
  async usage(query: UsageQuery = {}, signal?: AbortSignal): Promise<UsageReport> {
    const params = new URLSearchParams();
    if (query.agentId) params.set('agentId', query.agentId);
    for (const key of ['since', 'until', 'limit'] as const) if (query[key] !== undefined) params.set(key, String(query[key]));
    if (query.cursor) params.set('cursor', query.cursor);
    return this.#json<UsageReport>(`/api/usage?${params}`, signal);
  }

  /** Newest first. */
  async audit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const params = new URLSearchParams();
    for (const key of ['since', 'until', 'actor', 'action', 'limit', 'before'] as const) {
      const value = query[key];
      if (value !== undefined && value !== '') params.set(key, String(value));
    }
    return (await this.#json<AuditListResponse>(`/api/audit?${params}`)).entries;
  }

  async #json<T>(path: string, signal?: AbortSignal): Promise<T> {
    const res = await this.#get(path, signal);
    return (await res.json()) as T;
  }

  async #get(path: string, signal?: AbortSignal): Promise<Response> {
    let res: Response;
    try {
      res = await this.#fetch(`${this.baseUrl}${path}`, { headers: { Authorization: `Bearer ${this.#token()}` }, ...(signal ? { signal } : {}) });
    } catch (error) {
      if ((error as { name?: string }).name === 'AbortError') throw error;
      throw new HistoryApiError(0, `cannot reach ${this.baseUrl}: ${(error as Error).message}`, { cause: error });
    }
    if (!res.ok) {
      let message = `${res.status} ${res.statusText}`.trim();
      try {
        const body = (await res.json()) as { error?: string };
        if (body.error) message = body.error;
      } catch {
        // not JSON: keep the status line
      }
      throw new HistoryApiError(res.status, message);
    }
    return res;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
