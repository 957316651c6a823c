/**
 * Names of the structured trace of an AI agent run (protocol 1.x addition, docs/agents.md): what a
 * Claude Code, Gemini CLI or Codex run did, beside its terminal output.
 */

/** The kinds of trace:event. */
export const TraceKind = {
  session: 'session',
  message: 'message',
  thinking: 'thinking',
  toolCall: 'tool_call',
  toolResult: 'tool_result',
  fileChange: 'file_change',
  usage: 'usage',
  result: 'result',
  notice: 'notice',
  /** The CLI asked a dashboard whether it may run a tool (1.x, approvals). */
  approvalRequest: 'approval_request',
  /** How that question was decided. */
  approvalDecision: 'approval_decision',
} as const;
export type TraceKind = (typeof TraceKind)[keyof typeof TraceKind];

/** Why an AI run ended. */
export const StopReason = {
  /** The CLI said the run succeeded. */
  completed: 'completed',
  /** The CLI reported an error that none of the reasons below names. */
  cliError: 'cli_error',
  notLoggedIn: 'not_logged_in',
  rateLimited: 'rate_limited',
  /** The CLI's own turn limit (Claude `--max-turns`, Gemini maxSessionTurns). */
  turnLimit: 'turn_limit',
  /** The command's `maxTokens` was passed; the agent stopped the run. */
  budgetTokens: 'budget_tokens',
  /** The command's `maxCostUsd` was passed (or the CLI's own budget, Claude `--max-budget-usd`). */
  budgetCost: 'budget_cost',
  interrupted: 'interrupted',
  timeout: 'timeout',
  /** The CLI died mid-stream (a signal, or a line cut off). */
  crashed: 'crashed',
  /** The CLI exited without its final event. */
  noResult: 'no_result',
} as const;
export type StopReason = (typeof StopReason)[keyof typeof StopReason];

/** Whether a cost was reported by the CLI itself or estimated from `ModelPrices`. */
export const CostSource = { reported: 'reported', estimated: 'estimated' } as const;
export type CostSource = (typeof CostSource)[keyof typeof CostSource];

export const FileChangeKind = { add: 'add', modify: 'modify', delete: 'delete', rename: 'rename' } as const;
export type FileChangeKind = (typeof FileChangeKind)[keyof typeof FileChangeKind];

export const NoticeLevel = { info: 'info', warn: 'warn', error: 'error' } as const;
export type NoticeLevel = (typeof NoticeLevel)[keyof typeof NoticeLevel];
