import type { HistoryChunk } from '@onsembl/client';
import { shortId } from './lines.js';

/** Output a terminal is missing: sequences `from` up to `to - 1`, or everything stored from `from` on when `to` is absent. */
export interface MissingRange {
  commandId: string;
  agentId: string;
  from: number;
  to?: number;
}

/** What the store gave back for a range. */
export interface Fetched {
  chunks: readonly HistoryChunk[];
  /** Every chunk of a bounded range was found. */
  complete: boolean;
  /** A catch-up that left out the oldest chunks (too much for a live terminal): how many. */
  skipped?: number;
}

/** Where a feed writes: the terminal, and its notes (dim annotation lines). */
export interface FeedTarget {
  write(data: string): void;
  /**
   * A whole line of our own, on a fresh line even if the output did not end with one; `startOf`
   * names the command this line starts (the terminal marks it, to tell when it is trimmed).
   */
  line(data: string, startOf?: string): void;
  /** A dim annotation line. */
  note(text: string): void;
  /** A range that could not be loaded, for a "load missing output" action. */
  unfilled(range: MissingRange & { to: number }, reason: string): void;
  /** A missing range was loaded and written in its place. */
  filled?(range: MissingRange & { to: number }): void;
}

type Why = 'gap' | 'catch-up' | 'load';

type Item =
  | { kind: 'text'; data: string; line: boolean; startOf?: string }
  | { kind: 'chunk'; commandId: string; agentId: string; sequence: number; data: string }
  | { kind: 'fill'; range: MissingRange; why: Why };

/**
 * Writes one terminal's output in order, exactly once per chunk, and fills what the live stream
 * did not bring from the server's store: an `output:gap` (this dashboard fell behind), a jump in a
 * command's sequences, or a command first seen while already running (after a reload or a reset).
 * While a fill is on its way everything after it waits, so the terminal never shows output out of
 * order; without one, writes go through synchronously.
 */
export class TerminalFeed {
  readonly #items: Item[] = [];
  /** Highest sequence written, per command. */
  readonly #written = new Map<string, number>();
  /** Commands to forget once nothing queued or on its way refers to them any more. */
  readonly #forgetting = new Set<string>();
  #busy = false;
  #disposed = false;
  #idle: (() => void)[] = [];

  constructor(
    private readonly target: FeedTarget,
    private readonly fetch: (range: MissingRange) => Promise<Fetched>,
  ) {}

  /** Output-like text, written as is. */
  text(data: string): void {
    this.#push({ kind: 'text', data, line: false });
  }

  /** A line of our own (start and outcome markers, notes), in order with the output. */
  line(data: string, startOf?: string): void {
    this.#push({ kind: 'text', data, line: true, ...(startOf === undefined ? {} : { startOf }) });
  }

  chunk(chunk: { commandId: string; agentId: string; sequence: number; data: string }): void {
    this.#push({ kind: 'chunk', ...chunk });
  }

  /** `output:gap`: sequences from `from` to `to - 1` were not sent to this dashboard. */
  gap(range: MissingRange & { to: number }): void {
    this.#push({ kind: 'fill', range, why: 'gap' });
  }

  /**
   * Everything stored of a command this dashboard did not see from its start, with a note saying
   * so; `quiet` for a viewer that shows a stored command from its beginning.
   */
  catchUp(commandId: string, agentId: string, quiet = false): void {
    this.#push({ kind: 'fill', range: { commandId, agentId, from: 1 }, why: quiet ? 'load' : 'catch-up' });
  }

  /** Resolves once everything pushed so far is written (fills included). */
  idle(): Promise<void> {
    if (!this.#busy && this.#items.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * Forgets a command (its highest sequence written) so a long-lived terminal does not remember
   * every command it ever showed. A chunk still queued or a fill on its way needs what is known, so
   * this happens once everything pushed so far is written; the caller pushes nothing about the
   * command afterwards (it would be taken as a command first seen midway, and caught up).
   */
  forget(commandId: string): void {
    this.#forgetting.add(commandId);
    if (!this.#busy && this.#items.length === 0) this.#forgetNow();
  }

  /** How many commands the feed remembers (for tests: it must stay bounded). */
  get remembered(): number {
    return this.#written.size;
  }

  /** True while a fill holds the writes back. */
  get waiting(): boolean {
    return this.#busy;
  }

  dispose(): void {
    this.#disposed = true;
    this.#items.length = 0;
  }

  #push(item: Item): void {
    if (this.#disposed) return;
    this.#items.push(item);
    this.#drain();
  }

  /** Writes queued items synchronously until one needs the store; resumes when that fill is done. */
  #drain(): void {
    if (this.#busy) return;
    for (let item = this.#items.shift(); item && !this.#disposed; item = this.#items.shift()) {
      if (item.kind === 'text') {
        if (item.line) this.target.line(item.data, item.startOf);
        else this.target.write(item.data);
        continue;
      }
      let fill: { range: MissingRange; why: Why };
      if (item.kind === 'chunk') {
        const written = this.#written.get(item.commandId) ?? 0;
        if (item.sequence <= written) continue; // already shown (from the store, or a repeat)
        if (item.sequence === written + 1) {
          this.target.write(item.data);
          this.#written.set(item.commandId, item.sequence);
          continue;
        }
        // The live stream skipped some: a gap nobody announced, or a command first seen midway.
        // Fill up to this chunk, then take it again.
        this.#items.unshift(item);
        fill = { range: { commandId: item.commandId, agentId: item.agentId, from: written + 1, to: item.sequence }, why: written === 0 ? 'catch-up' : 'gap' };
      } else {
        fill = item;
      }
      this.#busy = true;
      void this.#fill(fill.range, fill.why).finally(() => {
        this.#busy = false;
        this.#drain();
      });
      return;
    }
    this.#forgetNow();
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  #forgetNow(): void {
    for (const commandId of this.#forgetting) this.#written.delete(commandId);
    this.#forgetting.clear();
  }

  async #fill(range: MissingRange, why: Why): Promise<void> {
    const written = this.#written.get(range.commandId) ?? 0;
    const from = Math.max(range.from, written + 1);
    if (range.to !== undefined && from >= range.to) return;
    const wanted = { ...range, from };
    const span = range.to === undefined ? '' : describeSpan(from, range.to);
    let fetched: Fetched;
    try {
      fetched = await this.fetch(wanted);
    } catch (error) {
      if (range.to !== undefined) {
        this.target.note(`… ${span} of ${shortId(range.commandId)} did not reach this dashboard and could not be loaded (${errorText(error)}): use "Load missing output"`);
        this.target.unfilled({ ...wanted, to: range.to }, errorText(error));
        this.#written.set(range.commandId, range.to - 1);
      } else if (why === 'load') {
        this.target.note(`… the output could not be loaded (${errorText(error)})`);
      } else {
        this.target.note(`… the earlier output of ${shortId(range.commandId)} could not be loaded (${errorText(error)}); History has it`);
      }
      return;
    }
    if (this.#disposed) return;
    const chunks = fetched.chunks.filter((c) => c.sequence >= from && (range.to === undefined || c.sequence < range.to));
    if (why !== 'load' && (chunks.length > 0 || range.to !== undefined)) {
      if (why === 'catch-up') {
        const skipped = fetched.skipped ? ` (its last ${chunks.length} chunks; History has all of it)` : '';
        this.target.note(`… output of ${shortId(range.commandId)} from before this dashboard saw it${skipped}, loaded from the server:`);
      }
      else this.target.note(`… ${span} of ${shortId(range.commandId)} did not reach this dashboard; loaded from the server:`);
    }
    let last = written;
    for (const chunk of chunks) {
      if (chunk.sequence <= last) continue;
      this.target.write(chunk.data);
      last = chunk.sequence;
    }
    if (range.to !== undefined) {
      if (!fetched.complete) {
        const lost = range.to - from - chunks.length;
        this.target.note(`… ${lost} of those chunk${lost === 1 ? ' is' : 's are'} no longer stored on the server (retention)`);
      } else {
        this.target.note('… end of the loaded output; live output continues:');
      }
      if (why !== 'load') this.target.filled?.({ ...range, to: range.to });
      last = Math.max(last, range.to - 1);
    } else if (chunks.length > 0 && why !== 'load') {
      this.target.note('… live output continues:');
    }
    this.#written.set(range.commandId, last);
  }
}

function describeSpan(from: number, to: number): string {
  const count = to - from;
  return `${count} output chunk${count === 1 ? '' : 's'} (sequence ${from === to - 1 ? from : `${from}–${to - 1}`})`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
