import type { ApprovalDecided, ApprovalRequest } from '@onsembl/client';

/** One approval question as a dashboard shows it: waiting, or decided (and by whom). */
export interface ApprovalView {
  question: ApprovalRequest;
  decided: ApprovalDecided | null;
}

/** Decided cards kept on the page (the user dismisses them; older ones go first). */
const DECIDED_KEPT = 20;

/**
 * The approvals a dashboard shows, as an immutable list (newest last), changed only by the events
 * of the server: a question, its decision, and a fresh start (which brings the waiting questions
 * again). Pure, so its rules are unit-tested.
 */
export class ApprovalBook {
  constructor(readonly items: readonly ApprovalView[] = []) {}

  get waiting(): ApprovalView[] {
    return this.items.filter((item) => item.decided === null);
  }

  /** A question (again, after a reconnect: the newer deadline wins). */
  ask(question: ApprovalRequest): ApprovalBook {
    const known = this.items.find((item) => item.question.approvalId === question.approvalId);
    if (known?.decided) return this;
    if (known) return new ApprovalBook(this.items.map((item) => (item === known ? { question, decided: null } : item)));
    return new ApprovalBook([...this.items, { question, decided: null }]);
  }

  /** A decision of a question shown here (one never shown here has nothing to update). */
  decide(decided: ApprovalDecided): ApprovalBook {
    const known = this.items.find((item) => item.question.approvalId === decided.approvalId);
    if (known?.decided) return this;
    if (!known) return this;
    return new ApprovalBook(this.trim(this.items.map((item) => (item === known ? { ...item, decided } : item))));
  }

  /** The server starts this dashboard from nothing: the questions still waiting come again. */
  reset(): ApprovalBook {
    return new ApprovalBook(this.items.filter((item) => item.decided !== null));
  }

  dismiss(approvalId: string): ApprovalBook {
    return new ApprovalBook(this.items.filter((item) => item.question.approvalId !== approvalId || item.decided === null));
  }

  private trim(items: ApprovalView[]): ApprovalView[] {
    let decided = items.filter((item) => item.decided !== null).length;
    return items.filter((item) => item.decided === null || decided-- <= DECIDED_KEPT);
  }
}
