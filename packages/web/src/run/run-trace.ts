import type { TraceEvent } from '@onsembl/protocol';
import type { Session } from '../state/session.js';

export interface RunTraceState {
  events: ReadonlyArray<{ sequence: number; event: TraceEvent }>;
  loading: boolean;
  error: string | null;
}

/**
 * One command's trace as the run view shows it: the stored events (GET /api/commands/:id/trace, all
 * pages) merged by sequence with the live `trace:event`s, so it is whole whether the view opened
 * before, during or after the run. Read again after a connection the server could not resume.
 */
export class RunTraceLoader {
  #events = new Map<number, TraceEvent>();
  #state: RunTraceState = { events: [], loading: true, error: null };
  readonly #listeners = new Set<() => void>();
  readonly #offs: (() => void)[];
  #loads = 0;
  #closed = false;

  constructor(private readonly session: Session, private readonly commandId: string) {
    const { client } = session;
    this.#offs = [
      client.on('trace', (t) => {
        if (t.commandId === commandId) this.#add([{ sequence: t.sequence, event: t.event }]);
      }),
      client.on('connected', ({ resumed }) => {
        if (!resumed) void this.load();
      }),
    ];
    void this.load();
  }

  getState = (): RunTraceState => this.#state;

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  async load(): Promise<void> {
    const load = ++this.#loads;
    this.#publish({ loading: true });
    try {
      let after = 0;
      for (;;) {
        const page = await this.session.history.trace(this.commandId, { after });
        if (this.#closed || load !== this.#loads) return;
        this.#add(page.events);
        const last = page.events.at(-1)?.sequence;
        if (last === undefined || page.complete || last >= page.lastSequence) break;
        after = last;
      }
      this.#publish({ loading: false, error: null });
    } catch (error) {
      if (!this.#closed && load === this.#loads) this.#publish({ loading: false, error: (error as Error).message });
    }
  }

  close(): void {
    this.#closed = true;
    for (const off of this.#offs) off();
    this.#listeners.clear();
  }

  #add(events: ReadonlyArray<{ sequence: number; event: TraceEvent }>): void {
    let added = false;
    for (const { sequence, event } of events) {
      if (this.#events.has(sequence)) continue;
      this.#events.set(sequence, event);
      added = true;
    }
    if (!added) return;
    const sorted = [...this.#events].sort((a, b) => a[0] - b[0]).map(([sequence, event]) => ({ sequence, event }));
    this.#publish({ events: sorted });
  }

  #publish(change: Partial<RunTraceState>): void {
    this.#state = { ...this.#state, ...change };
    for (const listener of this.#listeners) listener();
  }
}
