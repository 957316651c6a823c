import type { CommandStatusPayload, HistoryChunk, OnsemblClient } from '@onsembl/client';
import { FINAL_COMMAND_STATUSES } from '@onsembl/protocol';
import { AgentTerminal, type UnfilledRange } from './agent-terminal.js';
import { endLine, noteLine, shortId, startLine } from './lines.js';
import { RecentIds } from './recent-ids.js';
import { TerminalFeed, type Fetched, type MissingRange } from './terminal-feed.js';

/** A fill that takes longer than this gives up and offers "Load missing output" instead. */
const FILL_TIMEOUT_MS = 15_000;
const PAGE = 1_000;
const CATCH_UP_CHUNKS = 200;
/**
 * Each terminal keeps the ids of this many commands that left it, so a late event about one is
 * dropped. Lines leave a terminal oldest first and one agent runs one command at a time, so only the
 * newest of them can still have lines on screen; the rest is margin.
 */
export const FORGOTTEN_KEPT = 256;

/** A command whose start line this registry wrote. */
interface Shown {
  agentId: string;
  /** Its outcome line is written (or on its way). */
  ended: boolean;
  /** Its start line left the terminal (trimmed by the scrollback limit, or cleared). */
  startLeft: boolean;
}

interface Entry {
  terminal: AgentTerminal;
  feed: TerminalFeed;
  /** Commands that left this terminal and were forgotten: events about them are dropped. */
  forgotten: RecentIds;
}

/** What the registry remembers, for tests: every part stays bounded however many commands ran. */
export interface RegistryMemory {
  /** Commands whose start line was written and that are still in view or not finished. */
  shown: number;
  /** Commands seen queued that have not started. */
  queued: number;
  /** Commands the feeds know the highest written sequence of. */
  written: number;
  /** Ids of forgotten commands kept to drop late events. */
  forgotten: number;
}

/**
 * Routes every command's output to its agent's terminal, with a `$ command` line when it starts,
 * an outcome line when it ends, and output the live stream did not bring (output:gap, a command
 * first seen while running) loaded from the server's store in its place. Terminals are made on
 * first use.
 *
 * A command is remembered while it is in view: from its start line until it has finished and its
 * start line has left the terminal (the scrollback limit dropped it, or the user cleared the
 * terminal). Then it is forgotten, and a late event about it is dropped instead of written again.
 * A command that has not finished is never forgotten, so a reset re-reads every command still
 * running in view.
 */
export class TerminalRegistry {
  readonly #terminals = new Map<string, Entry>();
  /** Commands whose start line is written, so a repeated `running` status does not repeat it. */
  readonly #shown = new Map<string, Shown>();
  /** Commands seen queued and not started: their output is seen live from the first chunk, nothing to catch up. */
  readonly #seenQueued = new Set<string>();
  readonly #unsubscribe: (() => void)[];

  constructor(
    private readonly client: TerminalClient,
    commandText: (commandId: string) => string | null,
    private readonly options: { scrollback?: number } = {},
  ) {
    this.#unsubscribe = [
      client.on('status', (status) => this.#onStatus(status, commandText)),
      client.on('output', (chunk) => {
        if (this.#forgotten(chunk.agentId, chunk.commandId)) return;
        if (!this.#shown.has(chunk.commandId)) this.#writeStart(chunk.agentId, chunk.commandId, commandText(chunk.commandId));
        this.#feed(chunk.agentId).chunk(chunk);
      }),
      client.on('gap', (gap) => {
        if (this.#forgotten(gap.agentId, gap.commandId)) return;
        this.#feed(gap.agentId).gap({ commandId: gap.commandId, agentId: gap.agentId, from: gap.fromSequence, to: gap.nextSequence });
      }),
      client.on('queue', (update) => {
        for (const entry of update.queue) {
          if (!this.#shown.has(entry.commandId) && !this.#forgotten(update.agentId, entry.commandId)) this.#seenQueued.add(entry.commandId);
        }
      }),
      client.on('reset', () => {
        for (const { feed } of this.#terminals.values()) {
          feed.line(noteLine('── reconnected: the server could not replay what happened meanwhile; live output resumes here ──'));
        }
        // A command queued before may have started meanwhile and printed what this page did not
        // see; the picture that follows the reset names the commands still queued.
        this.#seenQueued.clear();
        for (const [commandId, shown] of this.#shown) if (!shown.ended) void this.#resync(commandId, shown.agentId);
      }),
    ];
  }

  /** How much the registry remembers (for tests). */
  memory(): RegistryMemory {
    let written = 0;
    let forgotten = 0;
    for (const entry of this.#terminals.values()) {
      written += entry.feed.remembered;
      forgotten += entry.forgotten.size;
    }
    return { shown: this.#shown.size, queued: this.#seenQueued.size, written, forgotten };
  }

  get(agentId: string): AgentTerminal {
    return this.#entry(agentId).terminal;
  }

  /** "Load missing output": tries the ranges that could not be loaded again, writing them at the end. */
  async loadUnfilled(agentId: string): Promise<void> {
    const { terminal, feed } = this.#entry(agentId);
    const ranges = terminal.unfilled;
    terminal.setUnfilled([]);
    for (const range of ranges) {
      try {
        const fetched = await this.#fetch(range);
        feed.line(noteLine(`── ${range.to - range.from} missing output chunk(s) of ${shortId(range.commandId)} (sequence ${range.from}–${range.to - 1}), loaded now ──`));
        for (const chunk of fetched.chunks) feed.text(chunk.data);
        feed.line(noteLine(fetched.complete ? '── end of the loaded output ──' : '── some of it is no longer stored on the server (retention) ──'));
      } catch (error) {
        terminal.setUnfilled([...terminal.unfilled, { ...range, reason: error instanceof Error ? error.message : String(error) }]);
      }
    }
  }

  dispose(): void {
    for (const off of this.#unsubscribe) off();
    for (const { terminal, feed } of this.#terminals.values()) {
      feed.dispose();
      terminal.dispose();
    }
    this.#terminals.clear();
  }

  #entry(agentId: string): Entry {
    let entry = this.#terminals.get(agentId);
    if (!entry) {
      const terminal = new AgentTerminal(this.options);
      const feed = new TerminalFeed(
        {
          write: (data) => terminal.write(data),
          line: (data, startOf) => {
            terminal.writeLine(data);
            if (startOf !== undefined) terminal.markCommandStart(startOf, () => this.#startLeft(startOf));
          },
          note: (text) => terminal.writeLine(noteLine(text)),
          unfilled: (range, reason) => terminal.setUnfilled([...terminal.unfilled, { ...range, reason } satisfies UnfilledRange]),
          filled: () => terminal.countFilled(),
        },
        (range) => this.#fetch(range),
      );
      entry = { terminal, feed, forgotten: new RecentIds(FORGOTTEN_KEPT) };
      this.#terminals.set(agentId, entry);
    }
    return entry;
  }

  #feed(agentId: string): TerminalFeed {
    return this.#entry(agentId).feed;
  }

  /** Reads a range back from the store: a bounded one waits briefly for chunks not stored yet. */
  async #fetch(range: MissingRange): Promise<Fetched> {
    const signal = AbortSignal.timeout(FILL_TIMEOUT_MS);
    if (range.to !== undefined) {
      return this.client.fillGap({ commandId: range.commandId, fromSequence: range.from, nextSequence: range.to }, { signal });
    }
    // A live terminal keeps 10 000 lines: a catch-up loads the newest chunks only (10 KB each at most).
    const { lastSequence } = await this.client.history.outputChunks(range.commandId, { after: Number.MAX_SAFE_INTEGER, limit: 1, signal });
    const start = Math.max(range.from - 1, lastSequence - CATCH_UP_CHUNKS);
    const chunks: HistoryChunk[] = [];
    for (let after = start; ; ) {
      const page = await this.client.history.outputChunks(range.commandId, { after, limit: PAGE, signal });
      chunks.push(...page.chunks);
      const last = page.chunks.at(-1);
      if (!last || page.chunks.length < PAGE) break;
      after = last.sequence;
    }
    return { chunks, complete: true, skipped: start - (range.from - 1) };
  }

  /**
   * After a reset nothing is replayed: a command this terminal showed running may have printed more,
   * or finished, meanwhile. Read what the view lacks from the store (the feed skips what it already
   * wrote) and, if it is final now, its outcome line.
   */
  async #resync(commandId: string, agentId: string): Promise<void> {
    this.#feed(agentId).catchUp(commandId, agentId);
    const command = await this.client.history.command(commandId).catch(() => undefined);
    if (!command || !FINAL_COMMAND_STATUSES.has(command.status)) return;
    this.#end(commandId, endLine({ ...command, commandId: command.id }));
  }

  #onStatus(status: CommandStatusPayload, commandText: (commandId: string) => string | null): void {
    const { commandId, agentId } = status;
    if (this.#forgotten(agentId, commandId)) return;
    if (status.status === 'queued' && !this.#shown.has(commandId)) this.#seenQueued.add(commandId);
    if (status.status === 'running' && !this.#shown.has(commandId)) {
      const seenQueued = this.#seenQueued.delete(commandId);
      this.#writeStart(agentId, commandId, status.command ?? commandText(commandId));
      // Running before this dashboard knew it (a reload, a reset): show what it printed so far.
      if (!seenQueued) this.#feed(agentId).catchUp(commandId, agentId);
    }
    if (FINAL_COMMAND_STATUSES.has(status.status)) {
      // A command cancelled while still queued never ran: no outcome line in the terminal.
      this.#seenQueued.delete(commandId);
      this.#end(commandId, endLine(status));
    }
  }

  #writeStart(agentId: string, commandId: string, command: string | null): void {
    this.#shown.set(commandId, { agentId, ended: false, startLeft: false });
    this.#feed(agentId).line(startLine(commandId, command), commandId);
  }

  /** Writes a shown command's outcome line, once. */
  #end(commandId: string, line: string): void {
    const shown = this.#shown.get(commandId);
    if (!shown || shown.ended) return;
    shown.ended = true;
    this.#feed(shown.agentId).line(line);
    if (shown.startLeft) this.#forget(commandId, shown);
  }

  #startLeft(commandId: string): void {
    const shown = this.#shown.get(commandId);
    if (!shown) return;
    shown.startLeft = true;
    if (shown.ended) this.#forget(commandId, shown);
  }

  /** The command left the view and is final: nothing about it is needed except to drop late events. */
  #forget(commandId: string, shown: Shown): void {
    this.#shown.delete(commandId);
    this.#seenQueued.delete(commandId);
    const entry = this.#terminals.get(shown.agentId);
    entry?.forgotten.add(commandId);
    entry?.feed.forget(commandId);
  }

  #forgotten(agentId: string, commandId: string): boolean {
    return this.#terminals.get(agentId)?.forgotten.has(commandId) ?? false;
  }
}

/** The part of the client the registry uses. */
export type TerminalClient = Pick<OnsemblClient, 'on' | 'fillGap' | 'history'>;
