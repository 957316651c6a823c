/**
 * What the agent writes on Claude Code's stdin in `--input-format stream-json` mode (facts:
 * shared/research/agent-clis.md, the approval round trip seen with claude_ctrl.out): the prompt as a
 * user turn, and answers to the CLI's control requests. One JSON object per line.
 */

/** The prompt, as the one user turn of a run. */
export function userTurn(prompt: string): string {
  return `${JSON.stringify({
    type: 'user',
    message: { role: 'user', content: [{ type: 'text', text: prompt }] },
    parent_tool_use_id: null,
    session_id: '',
  })}\n`;
}

/** `can_use_tool` answered yes: the tool runs with `updatedInput` (the input exactly as asked). */
export function allowTool(requestId: string, input: unknown): string {
  return controlResponse(requestId, { behavior: 'allow', updatedInput: input });
}

/** `can_use_tool` answered no: the CLI tells the model `message`. */
export function denyTool(requestId: string, message: string): string {
  return controlResponse(requestId, { behavior: 'deny', message });
}

/** A control request the agent does not handle: the CLI gets an error instead of waiting for ever. */
export function controlError(requestId: string, error: string): string {
  return `${JSON.stringify({ type: 'control_response', response: { subtype: 'error', request_id: requestId, error } })}\n`;
}

function controlResponse(requestId: string, response: Record<string, unknown>): string {
  return `${JSON.stringify({ type: 'control_response', response: { subtype: 'success', request_id: requestId, response } })}\n`;
}
