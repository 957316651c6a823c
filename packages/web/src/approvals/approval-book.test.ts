import type { ApprovalDecided, ApprovalRequest } from '@onsembl/client';
import { describe, expect, it } from 'vitest';
import { ApprovalBook } from './approval-book.js';

const question = (id: string, deadlineAt = 2): ApprovalRequest => ({ approvalId: id, agentId: 'a1', commandId: 'c1', tool: 'Bash', input: {}, requestedAt: 1, deadlineAt });
const decision = (id: string, decidedBy = 'alice'): ApprovalDecided => ({
  approvalId: id, agentId: 'a1', commandId: 'c1', tool: 'Bash', decision: 'allow', reason: 'answered', decidedBy, decidedAt: 3,
});

describe('ApprovalBook', () => {
  it('keeps questions in order, takes a newer deadline for one asked again, and the first decision only', () => {
    let book = new ApprovalBook().ask(question('q1')).ask(question('q2')).ask(question('q1', 9));
    expect(book.items.map((i) => [i.question.approvalId, i.question.deadlineAt])).toEqual([['q1', 9], ['q2', 2]]);
    book = book.decide(decision('q1')).decide(decision('q1', 'late')).ask(question('q1', 20));
    expect(book.items[0]).toMatchObject({ question: { deadlineAt: 9 }, decided: { decidedBy: 'alice' } });
    expect(book.waiting.map((i) => i.question.approvalId)).toEqual(['q2']);
    expect(book.decide(decision('never-seen'))).toBe(book);
  });

  it('a reset drops what waits (it comes again with the fresh picture), a dismissal drops a decided card', () => {
    const book = new ApprovalBook().ask(question('q1')).ask(question('q2')).decide(decision('q1'));
    expect(book.reset().items.map((i) => i.question.approvalId)).toEqual(['q1']);
    expect(book.dismiss('q1').items.map((i) => i.question.approvalId)).toEqual(['q2']);
    expect(book.dismiss('q2').items).toHaveLength(2); // a waiting question cannot be dismissed
  });

  it('keeps at most 20 decided cards, dropping the oldest', () => {
    let book = new ApprovalBook();
    for (let i = 0; i < 25; i++) book = book.ask(question(`q${i}`)).decide(decision(`q${i}`));
    expect(book.items.map((i) => i.question.approvalId)).toEqual(Array.from({ length: 20 }, (_, i) => `q${i + 5}`));
  });
});
