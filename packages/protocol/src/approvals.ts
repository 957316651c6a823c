/**
 * Names of remote tool approvals (protocol 1.x addition, docs/protocol.md "Approvals"): an AI CLI
 * asks before it runs a tool, the agent hands the question to the server, every dashboard sees it,
 * the first answer wins, and no answer by the deadline denies.
 */

export const ApprovalDecision = { allow: 'allow', deny: 'deny' } as const;
export type ApprovalDecision = (typeof ApprovalDecision)[keyof typeof ApprovalDecision];

/** Why an approval was decided the way it was. */
export const ApprovalReason = {
  /** A dashboard user answered. */
  answered: 'answered',
  /** Nobody answered before the deadline: denied. */
  timeout: 'timeout',
  /** The command ended (interrupted, stopped, finished or lost) while the question waited: denied. */
  commandEnded: 'command_ended',
  /** The server refused the question (too many already waiting for the agent): denied. */
  refused: 'refused',
} as const;
export type ApprovalReason = (typeof ApprovalReason)[keyof typeof ApprovalReason];

/** `decidedBy` of a decision the server made itself (a timeout, a command that ended). */
export const APPROVAL_SERVER_ACTOR = 'onsembl' as const;
