import type { Dialect, FakeCall } from './fake-model-server.js';
import { DEFAULT_USAGE, textChunks, type FakeReply, type FakeUsage } from './replies.js';

/**
 * The Anthropic Messages API as Claude Code calls it: POST /v1/messages with `stream: true` (SSE:
 * message_start, content_block_start/delta/stop, message_delta, message_stop) and, after a failed
 * stream, the same request with `stream: false`. Also count_tokens and the model list.
 */

interface MessagesBody {
  model?: string;
  stream?: boolean;
  messages?: unknown[];
}

type Block =
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

const errorTypes: Record<number, string> = { 401: 'authentication_error', 429: 'rate_limit_error', 500: 'api_error' };
const errorMessages: Record<number, string> = {
  401: 'invalid x-api-key',
  429: 'Number of request tokens has exceeded your per-minute rate limit',
  500: 'Internal server error',
};

function blocksOf(seq: number, reply: Exclude<FakeReply, { kind: 'error' }>): Block[] {
  const blocks: Block[] = [];
  if ('thinking' in reply && reply.thinking) blocks.push({ type: 'thinking', thinking: reply.thinking, signature: 'ZmFrZS1zaWduYXR1cmU=' });
  if (reply.kind === 'tool' || reply.kind === 'write') {
    if (reply.text) blocks.push({ type: 'text', text: reply.text });
    blocks.push({ type: 'tool_use', id: `toolu_fake_${seq}`, ...toolOf(reply) });
  } else {
    blocks.push({ type: 'text', text: textChunks(reply).join('') });
  }
  return blocks;
}

/** The tool a tool or write reply calls. */
function toolOf(reply: Extract<FakeReply, { kind: 'tool' | 'write' }>): { name: string; input: Record<string, unknown> } {
  return reply.kind === 'tool'
    ? { name: 'Bash', input: { command: reply.command, description: 'Run the scripted command' } }
    : { name: 'Write', input: { file_path: reply.path, content: reply.content } };
}

function usageJson(usage: FakeUsage) {
  return {
    input_tokens: usage.inputTokens,
    cache_creation_input_tokens: usage.cacheWriteTokens ?? 0,
    cache_read_input_tokens: usage.cacheReadTokens ?? 0,
    output_tokens: usage.outputTokens,
  };
}

function streamMessage(call: FakeCall, model: string, reply: Exclude<FakeReply, { kind: 'error' }>) {
  const id = `msg_fake_${call.record.seq}`;
  const usage = reply.usage ?? DEFAULT_USAGE;
  call.startSse({ 'request-id': `req_fake_${call.record.seq}` });
  call.sse(
    {
      type: 'message_start',
      message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usageJson(usage), output_tokens: 1 } },
    },
    'message_start',
  );
  let index = 0;
  if ('thinking' in reply && reply.thinking) {
    call.sse({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } }, 'content_block_start');
    call.sse({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: reply.thinking } }, 'content_block_delta');
    call.sse({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: 'ZmFrZS1zaWduYXR1cmU=' } }, 'content_block_delta');
    call.sse({ type: 'content_block_stop', index }, 'content_block_stop');
    index++;
  }
  const calls = reply.kind === 'tool' || reply.kind === 'write';
  const chunks = calls ? (reply.text ? [reply.text] : []) : textChunks(reply);
  if (chunks.length > 0) {
    call.sse({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }, 'content_block_start');
    for (const text of chunks) call.sse({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } }, 'content_block_delta');
    if (reply.kind === 'stall') return; // the stream stays open here
    call.sse({ type: 'content_block_stop', index }, 'content_block_stop');
    index++;
  }
  if (reply.kind === 'tool' || reply.kind === 'write') {
    const tool = toolOf(reply);
    const input = JSON.stringify(tool.input);
    call.sse({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: `toolu_fake_${call.record.seq}`, name: tool.name, input: {} } }, 'content_block_start');
    // Input JSON in two pieces, as the real API splits it.
    const half = Math.floor(input.length / 2);
    call.sse({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: input.slice(0, half) } }, 'content_block_delta');
    call.sse({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: input.slice(half) } }, 'content_block_delta');
    call.sse({ type: 'content_block_stop', index }, 'content_block_stop');
  }
  call.sse(
    {
      type: 'message_delta',
      delta: { stop_reason: calls ? 'tool_use' : 'end_turn', stop_sequence: null },
      usage: { output_tokens: usage.outputTokens },
    },
    'message_delta',
  );
  call.sse({ type: 'message_stop' }, 'message_stop');
  call.end();
}

async function messages(call: FakeCall) {
  const body = (call.record.body ?? {}) as MessagesBody;
  const model = body.model ?? 'claude-fake';
  const reply = call.takeReply();
  if (reply.kind === 'error') {
    call.sendJson(
      reply.status,
      { type: 'error', error: { type: errorTypes[reply.status] ?? 'api_error', message: errorMessages[reply.status] ?? 'error' } },
      reply.status === 429 ? { 'retry-after': '0' } : {},
    );
    return;
  }
  if (body.stream === true) {
    streamMessage(call, model, reply);
    if (reply.kind === 'stall') await call.gone;
    return;
  }
  if (reply.kind === 'stall') {
    await call.gone;
    return;
  }
  call.sendJson(200, {
    id: `msg_fake_${call.record.seq}`,
    type: 'message',
    role: 'assistant',
    model,
    content: blocksOf(call.record.seq, reply),
    stop_reason: reply.kind === 'tool' || reply.kind === 'write' ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: usageJson(reply.usage ?? DEFAULT_USAGE),
  });
}

export const anthropicDialect: Dialect = {
  name: 'anthropic',
  async handle(call) {
    const { method, path } = call.record;
    if (method === 'POST' && path === '/v1/messages') return messages(call);
    if (method === 'POST' && path === '/v1/messages/count_tokens') {
      call.record.role = 'aux';
      return call.sendJson(200, { input_tokens: 100 });
    }
    if (method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/'))) {
      call.record.role = 'aux';
      const model = { type: 'model', id: 'claude-sonnet-4-5', display_name: 'Claude (fake)', created_at: '2025-01-01T00:00:00Z' };
      return call.sendJson(200, path === '/v1/models' ? { data: [model], has_more: false, first_id: model.id, last_id: model.id } : model);
    }
    call.sendJson(404, { type: 'error', error: { type: 'not_found_error', message: `fake anthropic: no ${method} ${path}` } });
  },
};

/** The texts of the tool results in a Messages request (what the CLI's tool printed). */
export function anthropicToolResults(body: unknown): string[] {
  const out: string[] = [];
  for (const message of (body as MessagesBody | undefined)?.messages ?? []) {
    const content = (message as { content?: unknown }).content;
    if (!Array.isArray(content)) continue;
    for (const block of content as { type?: string; content?: unknown }[]) {
      if (block.type !== 'tool_result') continue;
      if (typeof block.content === 'string') out.push(block.content);
      else if (Array.isArray(block.content)) out.push((block.content as { text?: string }[]).map((c) => c.text ?? '').join(''));
    }
  }
  return out;
}

/** Every text of a Messages request's conversation, user and assistant, in order. */
export function anthropicTexts(body: unknown): string[] {
  const out: string[] = [];
  for (const message of (body as MessagesBody | undefined)?.messages ?? []) {
    const content = (message as { content?: unknown }).content;
    if (typeof content === 'string') out.push(content);
    else if (Array.isArray(content)) for (const block of content as { type?: string; text?: string }[]) if (block.type === 'text' && block.text) out.push(block.text);
  }
  return out;
}
