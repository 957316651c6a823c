import { Worker } from 'node:worker_threads';
import type {
  AgentRecord, AuditEntry, AuditFilter, CommandFilter, CommandPatch, CommandRecord, OutputChunk, ReadEvent,
  RetentionCutoffs, Store, StoredEvent,
} from '../ports/store.js';
import {
  fromThreadError, type StoreCall, type StoreMethod, type StoreReady, type StoreReply, type StoreThreadData,
} from './sqlite-thread-messages.js';

type Result<M extends StoreMethod> = Awaited<ReturnType<Store[M]>>;

/**
 * The thread's script. Compiled, it sits next to this file. Run from the TypeScript sources (the
 * tests), it is taken from the package's build: a worker thread is plain Node, with no TypeScript
 * loader, so the tests need `npm run build` first (`npm test` does it).
 */
function threadScript(): URL {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new URL('./sqlite-thread.js', here);
  const src = here.lastIndexOf('/src/');
  return new URL('./sqlite-thread.js', `${here.slice(0, src)}/dist/${here.slice(src + '/src/'.length)}`);
}

/**
 * The embedded store on its own thread: SqliteStore, called by message. better-sqlite3 is
 * synchronous, so on the event loop every write (and the WAL's fsync at each checkpoint) stalls
 * the fan-out of live output: ~48 µs of wall time per stored chunk, ~8 % of the server's time under
 * a flooding agent; a history search or a retention purge stalls it for as long as it runs.
 * Opt-in (pass it to startServer as `store`): it cost a fifth of fan-out to one dashboard, for a
 * reason not found yet (docs/performance.md, 14).
 */
export class ThreadedSqliteStore implements Store {
  /** Milliseconds the store thread spent in each method (the bench reads these). */
  readonly threadMs: Partial<Record<StoreMethod, number>> = {};
  private readonly pending = new Map<number, { method: StoreMethod; resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  private nextId = 1;
  private stopped: Error | undefined;

  private constructor(private readonly worker: Worker, readonly epoch: string) {
    // The thread keeps the process alive only while a call waits for it, like a socket with a
    // request in flight: a store nobody closed (a server that failed to start) must not hang exit.
    worker.unref();
    worker.on('message', (reply: StoreReply) => this.settle(reply));
    worker.on('error', (err) => this.stop(err));
    worker.on('exit', (code) => this.stop(new Error(`the store thread exited (code ${code})`)));
  }

  static async open(file: string): Promise<ThreadedSqliteStore> {
    const worker = new Worker(threadScript(), { workerData: { file } satisfies StoreThreadData });
    // Only these three listeners are removed after: Worker keeps listeners of its own on itself.
    let onMessage: (ready: StoreReady) => void = () => undefined;
    let onError: (err: Error) => void = () => undefined;
    let onExit: (code: number) => void = () => undefined;
    const ready = await new Promise<StoreReady>((resolve, reject) => {
      onMessage = resolve;
      onError = reject;
      onExit = (code) => reject(new Error(`the store thread exited (code ${code}) before opening ${file}`));
      worker.once('message', onMessage).once('error', onError).once('exit', onExit);
    }).finally(() => worker.off('message', onMessage).off('error', onError).off('exit', onExit));
    if (!ready.ready) {
      await worker.terminate();
      throw fromThreadError(ready.error);
    }
    return new ThreadedSqliteStore(worker, ready.epoch);
  }

  private call<M extends StoreMethod>(method: M, ...args: Parameters<Store[M]>): Promise<Result<M>> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise<Result<M>>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { method, resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ id, method, args } satisfies StoreCall);
    });
  }

  private settle(reply: StoreReply): void {
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    this.threadMs[waiter.method] = (this.threadMs[waiter.method] ?? 0) + reply.ms;
    if (reply.ok) waiter.resolve(reply.value);
    else waiter.reject(fromThreadError(reply.error));
  }

  /** Every call still waiting fails, and every later one: the thread is gone. */
  private stop(reason: Error): void {
    this.stopped ??= reason;
    for (const { reject } of this.pending.values()) reject(this.stopped);
    this.pending.clear();
  }

  upsertAgent(agent: AgentRecord): Promise<void> { return this.call('upsertAgent', agent); }
  listAgents(): Promise<AgentRecord[]> { return this.call('listAgents'); }
  createCommand(command: CommandRecord): Promise<void> { return this.call('createCommand', command); }
  updateCommand(id: string, patch: CommandPatch): Promise<void> { return this.call('updateCommand', id, patch); }
  getCommand(id: string): Promise<CommandRecord | undefined> { return this.call('getCommand', id); }
  listCommands(filter: CommandFilter): Promise<CommandRecord[]> { return this.call('listCommands', filter); }
  listUnfinishedCommands(): Promise<CommandRecord[]> { return this.call('listUnfinishedCommands'); }
  appendOutput(chunks: readonly OutputChunk[]): Promise<void> { return this.call('appendOutput', chunks); }
  readOutput(commandId: string, afterSequence: number, limit?: number): Promise<OutputChunk[]> {
    return this.call('readOutput', commandId, afterSequence, limit);
  }
  lastOutputSequence(commandId: string): Promise<number> { return this.call('lastOutputSequence', commandId); }
  appendEvents(events: readonly StoredEvent[]): Promise<void> { return this.call('appendEvents', events); }
  readEvents(afterOffset: number, limit: number): Promise<ReadEvent[]> { return this.call('readEvents', afterOffset, limit); }
  eventBounds(): Promise<{ first: number; last: number }> { return this.call('eventBounds'); }
  appendAudit(entries: readonly AuditEntry[]): Promise<void> { return this.call('appendAudit', entries); }
  listAudit(filter: AuditFilter): Promise<Array<AuditEntry & { id: number }>> { return this.call('listAudit', filter); }
  purge(cutoffs: RetentionCutoffs): Promise<{ output: number; audit: number; events: number }> { return this.call('purge', cutoffs); }

  async close(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.call('close');
    } finally {
      this.stop(new Error('the store is closed'));
      await this.worker.terminate();
    }
  }
}
