import type { CommandStatusPayload, HistoryChunk, OnsemblClient } from '@onsembl/client';
import { FINAL_COMMAND_STATUSES } from '@onsembl/protocol';
import { AgentTerminal, type UnfilledRange } from './agent-terminal.js';
import { endLine, noteLine, shortId, startLine } from './lines.js';
import { TerminalFeed, type Fetched, type MissingRange } from './terminal-feed.js';

/** A fill that takes longer than this gives up and offers "Load missing output" instead. */
const FILL_TIMEOUT_MS = 15_000;
const PAGE = 1_000;
const CATCH_UP_CHUNKS = 200;

/**
 * Routes every command's output to its agent's terminal, with a `$ command` line when it starts,
 * an outcome line when it ends, and output the live stream did not bring (output:gap, a command
 * first seen while running) loaded from the server's store in its place. Terminals are made on
 * first use.
 */
export class TerminalRegistry {
  readonly #terminals = new Map<string, { terminal: AgentTerminal; feed: TerminalFeed }>();
  /** Commands whose start line is written (with their agent), so a repeated `running` status does not repeat it. */
  readonly #started = new Map<string, string>();
  readonly #ended = new Set<string>();
  /** Commands seen queued: their output is seen live from the first chunk, nothing to catch up. */
  readonly #seenQueued = new Set<string>();
  readonly #unsubscribe: (() => void)[];

  constructor(private readonly client: OnsemblClient, commandText: (commandId: string) => string | null) {
    this.#unsubscribe = [
      client.on('status', (status) => this.#onStatus(status, commandText)),
      client.on('output', (chunk) => {
        if (!this.#started.has(chunk.commandId)) this.#writeStart(chunk.agentId, chunk.commandId, commandText(chunk.commandId));
        this.#feed(chunk.agentId).chunk(chunk);
      }),
      client.on('gap', (gap) => {
        this.#feed(gap.agentId).gap({ commandId: gap.commandId, agentId: gap.agentId, from: gap.fromSequence, to: gap.nextSequence });
      }),
      client.on('queue', (update) => {
        for (const entry of update.queue) this.#seenQueued.add(entry.commandId);
      }),
      client.on('reset', () => {
        for (const { feed } of this.#terminals.values()) {
          feed.line(noteLine('── reconnected: the server could not replay what happened meanwhile; live output resumes here ──'));
        }
        for (const [commandId, agentId] of this.#started) if (!this.#ended.has(commandId)) void this.#resync(commandId, agentId);
      }),
    ];
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

  #entry(agentId: string): { terminal: AgentTerminal; feed: TerminalFeed } {
    let entry = this.#terminals.get(agentId);
    if (!entry) {
      const terminal = new AgentTerminal();
      const feed = new TerminalFeed(
        {
          write: (data) => terminal.write(data),
          line: (data, startOf) => {
            terminal.writeLine(data);
            if (startOf !== undefined) terminal.markCommandStart(startOf);
          },
          note: (text) => terminal.writeLine(noteLine(text)),
          unfilled: (range, reason) => terminal.setUnfilled([...terminal.unfilled, { ...range, reason } satisfies UnfilledRange]),
          filled: () => terminal.countFilled(),
        },
        (range) => this.#fetch(range),
      );
      entry = { terminal, feed };
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
    if (!command || !FINAL_COMMAND_STATUSES.has(command.status) || this.#ended.has(commandId)) return;
    this.#ended.add(commandId);
    this.#feed(agentId).line(endLine({ ...command, commandId: command.id }));
  }

  #onStatus(status: CommandStatusPayload, commandText: (commandId: string) => string | null): void {
    if (status.status === 'queued') this.#seenQueued.add(status.commandId);
    if (status.status === 'running' && !this.#started.has(status.commandId)) {
      this.#writeStart(status.agentId, status.commandId, status.command ?? commandText(status.commandId));
      // Running before this dashboard knew it (a reload, a reset): show what it printed so far.
      if (!this.#seenQueued.has(status.commandId)) this.#feed(status.agentId).catchUp(status.commandId, status.agentId);
    }
    // A command cancelled while still queued never ran: no outcome line in the terminal.
    if (FINAL_COMMAND_STATUSES.has(status.status) && this.#started.has(status.commandId) && !this.#ended.has(status.commandId)) {
      this.#ended.add(status.commandId);
      this.#feed(status.agentId).line(endLine(status));
    }
  }

  #writeStart(agentId: string, commandId: string, command: string | null): void {
    this.#started.set(commandId, agentId);
    this.#feed(agentId).line(startLine(commandId, command), commandId);
  }
}
