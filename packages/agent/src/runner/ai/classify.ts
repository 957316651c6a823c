import type { StopReason } from '@onsembl/protocol';

/** Why an API error ended a run, from what the CLI said about it (status codes and messages). */
export function classifyApiError(status: number | undefined, text: string): Extract<StopReason, 'not_logged_in' | 'rate_limited' | 'cli_error'> {
  if (status === 401 || status === 403) return 'not_logged_in';
  if (status === 429) return 'rate_limited';
  if (/\b(401|403)\b|unauthori[sz]ed|unauthenticated|not logged in|invalid api key|api key not valid|incorrect api key|authentication|please run \/login|no credentials/i.test(text)) {
    return 'not_logged_in';
  }
  if (/\b429\b|rate.?limit|too many requests|quota|resource.?exhausted/i.test(text)) return 'rate_limited';
  return 'cli_error';
}

/** The start of what the user reads on a failure, per reason. */
export const REASON_TEXT: Record<StopReason, string> = {
  completed: 'completed',
  cli_error: 'the CLI reported an error',
  not_logged_in: 'not logged in',
  rate_limited: 'rate limited',
  turn_limit: 'turn limit reached',
  budget_tokens: 'token budget reached',
  budget_cost: 'cost budget reached',
  interrupted: 'interrupted',
  timeout: 'timed out',
  crashed: 'the CLI crashed',
  no_result: 'no final event',
};
