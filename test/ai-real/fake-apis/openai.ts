import type { Dialect, FakeCall } from './fake-model-server.js';
import { DEFAULT_USAGE, textChunks, type FakeUsage } from './replies.js';

/**
 * The OpenAI Responses API as Codex calls it: POST /v1/responses with `stream: true`, answered with
 * SSE events (response.created, response.output_item.added/done, response.output_text.delta,
 * reasoning summary deltas, function_call items, response.completed with usage). Also the model list.
 */

interface InputItem {
  type?: string;
  role?: string;
  content?: { type?: string; text?: string }[] | string;
  output?: unknown;
}

const errors: Record<number, { message: string; type: string; code: string }> = {
  401: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' },
  429: { message: 'Rate limit reached for requests. Please try again in 0.05s.', type: 'requests', code: 'rate_limit_exceeded' },
  500: { message: 'The server had an error while processing your request.', type: 'server_error', code: 'server_error' },
};

function usageJson(usage: FakeUsage) {
  const cached = usage.cacheReadTokens ?? 0;
  const input = usage.inputTokens + cached;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: cached },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + usage.outputTokens,
  };
}

async function responses(call: FakeCall) {
  const reply = call.takeReply();
  if (reply.kind === 'error') {
    call.sendJson(reply.status, { error: errors[reply.status] ?? { message: 'error', type: 'server_error', code: 'server_error' } });
    return;
  }
  const model = ((call.record.body ?? {}) as { model?: string }).model ?? 'gpt-fake';
  const seq = call.record.seq;
  const responseId = `resp_fake_${seq}`;
  let output = 0;
  const event = (type: string, data: object) => call.sse({ type, ...data }, type);

  call.startSse({ 'x-request-id': `req_fake_${seq}` });
  event('response.created', { response: { id: responseId, object: 'response', created_at: Math.floor(Date.now() / 1000), status: 'in_progress', model, output: [] } });

  if ('thinking' in reply && reply.thinking) {
    const id = `rs_fake_${seq}`;
    event('response.output_item.added', { output_index: output, item: { type: 'reasoning', id, summary: [] } });
    event('response.reasoning_summary_part.added', { item_id: id, output_index: output, summary_index: 0, part: { type: 'summary_text', text: '' } });
    event('response.reasoning_summary_text.delta', { item_id: id, output_index: output, summary_index: 0, delta: reply.thinking });
    event('response.reasoning_summary_text.done', { item_id: id, output_index: output, summary_index: 0, text: reply.thinking });
    event('response.reasoning_summary_part.done', { item_id: id, output_index: output, summary_index: 0, part: { type: 'summary_text', text: reply.thinking } });
    event('response.output_item.done', { output_index: output, item: { type: 'reasoning', id, summary: [{ type: 'summary_text', text: reply.thinking }] } });
    output++;
  }

  const texts = reply.kind === 'tool' || reply.kind === 'write' ? (reply.text ? [reply.text] : []) : textChunks(reply);
  if (texts.length > 0) {
    const id = `msg_fake_${seq}`;
    event('response.output_item.added', { output_index: output, item: { type: 'message', id, role: 'assistant', status: 'in_progress', content: [] } });
    event('response.content_part.added', { item_id: id, output_index: output, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
    for (const delta of texts) event('response.output_text.delta', { item_id: id, output_index: output, content_index: 0, delta });
    if (reply.kind === 'stall') {
      await call.gone;
      return;
    }
    const text = texts.join('');
    event('response.output_text.done', { item_id: id, output_index: output, content_index: 0, text });
    event('response.content_part.done', { item_id: id, output_index: output, content_index: 0, part: { type: 'output_text', text, annotations: [] } });
    event('response.output_item.done', {
      output_index: output,
      item: { type: 'message', id, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] },
    });
    output++;
  }

  if (reply.kind === 'tool') {
    const id = `fc_fake_${seq}`;
    const callId = `call_fake_${seq}`;
    const args = JSON.stringify({ cmd: reply.command });
    event('response.output_item.added', { output_index: output, item: { type: 'function_call', id, call_id: callId, name: 'exec_command', arguments: '', status: 'in_progress' } });
    event('response.function_call_arguments.delta', { item_id: id, output_index: output, delta: args });
    event('response.function_call_arguments.done', { item_id: id, output_index: output, arguments: args });
    event('response.output_item.done', { output_index: output, item: { type: 'function_call', id, call_id: callId, name: 'exec_command', arguments: args, status: 'completed' } });
  }

  if (reply.kind === 'write') {
    // apply_patch is a freeform ("custom") tool: its input is the patch text itself.
    const id = `ctc_fake_${seq}`;
    const callId = `call_fake_${seq}`;
    const patch = ['*** Begin Patch', `*** Add File: ${reply.path}`, ...reply.content.replace(/\n$/, '').split('\n').map((line) => `+${line}`), '*** End Patch', ''].join('\n');
    event('response.output_item.added', { output_index: output, item: { type: 'custom_tool_call', id, call_id: callId, name: 'apply_patch', input: '', status: 'in_progress' } });
    event('response.custom_tool_call_input.delta', { item_id: id, output_index: output, delta: patch });
    event('response.custom_tool_call_input.done', { item_id: id, output_index: output, input: patch });
    event('response.output_item.done', { output_index: output, item: { type: 'custom_tool_call', id, call_id: callId, name: 'apply_patch', input: patch, status: 'completed' } });
  }

  event('response.completed', {
    response: { id: responseId, object: 'response', status: 'completed', model, output: [], usage: usageJson(reply.usage ?? DEFAULT_USAGE) },
  });
  call.end();
}

export const openaiDialect: Dialect = {
  name: 'openai',
  async handle(call) {
    const { method, path } = call.record;
    if (method === 'POST' && path === '/v1/responses') return responses(call);
    if (method === 'GET' && path === '/v1/models') {
      call.record.role = 'aux';
      return call.sendJson(200, { object: 'list', data: [{ id: 'gpt-5.5', object: 'model', created: 1_700_000_000, owned_by: 'fake' }] });
    }
    call.sendJson(404, { error: { message: `fake openai: no ${method} ${path}`, type: 'invalid_request_error', code: 'not_found' } });
  },
};

/** The outputs of the function calls in a Responses request (what the CLI's tools printed). */
export function openaiToolResults(body: unknown): string[] {
  const out: string[] = [];
  for (const item of ((body ?? {}) as { input?: InputItem[] }).input ?? []) {
    if (item.type !== 'function_call_output' && item.type !== 'custom_tool_call_output') continue;
    out.push(typeof item.output === 'string' ? item.output : JSON.stringify(item.output));
  }
  return out;
}

/** Every user and assistant text of a Responses request's input, in order (developer text left out). */
export function openaiTexts(body: unknown): string[] {
  const out: string[] = [];
  for (const item of ((body ?? {}) as { input?: InputItem[] }).input ?? []) {
    if (item.type !== 'message' || (item.role !== 'user' && item.role !== 'assistant')) continue;
    if (typeof item.content === 'string') out.push(item.content);
    else for (const c of item.content ?? []) if (c.text) out.push(c.text);
  }
  return out;
}
