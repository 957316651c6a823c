import type { OnsemblClient } from '@onsembl/client';
import type { AttentionKeeper } from '../alerts/attention.js';
import { ApprovalBook } from './approval-book.js';

/**
 * The approvals of one signed-in dashboard, fed by the client's events, read by components with
 * `useSyncExternalStore`. It also keeps the tab title and notifications in step: every question
 * that starts waiting is counted, every one that stops waiting (decided, or dropped by a reset)
 * is settled.
 */
export class ApprovalStore {
  #book = new ApprovalBook();
  readonly #listeners = new Set<() => void>();
  readonly #offs: (() => void)[];

  constructor(client: OnsemblClient, attention: AttentionKeeper, agentName: (agentId: string) => string) {
    this.#offs = [
      client.on('approval', (question) => {
        const fresh = !this.#book.items.some((item) => item.question.approvalId === question.approvalId);
        this.#set(this.#book.ask(question));
        if (fresh) attention.approvalWaiting(question.approvalId, agentName(question.agentId), question.tool);
      }),
      client.on('approvalDecided', (decided) => {
        const wasWaiting = this.#book.waiting.some((item) => item.question.approvalId === decided.approvalId);
        this.#set(this.#book.decide(decided));
        if (wasWaiting) attention.approvalSettled();
      }),
      client.on('reset', () => {
        for (let i = this.#book.waiting.length; i > 0; i--) attention.approvalSettled();
        this.#set(this.#book.reset());
      }),
    ];
  }

  get book(): ApprovalBook {
    return this.#book;
  }

  getBook = (): ApprovalBook => this.#book;

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  dismiss(approvalId: string): void {
    this.#set(this.#book.dismiss(approvalId));
  }

  dispose(): void {
    for (const off of this.#offs) off();
    this.#listeners.clear();
  }

  #set(book: ApprovalBook): void {
    if (book === this.#book) return;
    this.#book = book;
    for (const listener of this.#listeners) listener();
  }
}
