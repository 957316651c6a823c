import type { Dialect, FakeCall } from './fake-model-server.js';
import { DEFAULT_USAGE, textChunks, type FakeUsage } from './replies.js';

/**
 * The Gemini API (generativelanguage v1beta) as Gemini CLI calls it: the conversation goes through
 * POST /v1beta/models/MODEL:streamGenerateContent?alt=sse; side calls (the model router's complexity
 * classifier, next-speaker checks) through :generateContent with a JSON schema, which the fake answers
 * with a value that fits the schema; also :countTokens and the model list.
 */

interface Part {
  text?: string;
  thought?: boolean;
  functionCall?: { name: string; args: Record<string, unknown> };
  functionResponse?: { name?: string; response?: Record<string, unknown> };
}

interface GenerateBody {
  contents?: { role?: string; parts?: Part[] }[];
  generationConfig?: { responseJsonSchema?: unknown; responseSchema?: unknown; responseMimeType?: string };
}

const errors: Record<number, { message: string; status: string }> = {
  401: { message: 'API key not valid. Please pass a valid API key.', status: 'UNAUTHENTICATED' },
  // The free-tier quota message: Gemini CLI classifies it as a terminal quota error and stops at once
  // (a plain "Resource has been exhausted" is retried with backoff for minutes).
  429: {
    message: 'You exceeded your current quota. Quota exceeded for metric: generate_content_free_tier_requests, limit: 0',
    status: 'RESOURCE_EXHAUSTED',
  },
  500: { message: 'Internal error encountered.', status: 'INTERNAL' },
};

function usageMetadata(usage: FakeUsage) {
  const cached = usage.cacheReadTokens ?? 0;
  const prompt = usage.inputTokens + cached;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: usage.outputTokens,
    totalTokenCount: prompt + usage.outputTokens,
    ...(cached > 0 ? { cachedContentTokenCount: cached } : {}),
  };
}

function chunk(model: string, seq: number, parts: Part[], last?: { usage: FakeUsage }) {
  return {
    candidates: [{ content: { role: 'model', parts }, index: 0, ...(last ? { finishReason: 'STOP' } : {}) }],
    ...(last ? { usageMetadata: usageMetadata(last.usage) } : {}),
    modelVersion: model,
    responseId: `fake-response-${seq}`,
  };
}

function sendError(call: FakeCall, status: number) {
  const error = errors[status] ?? { message: 'error', status: 'UNKNOWN' };
  call.sendJson(status, { error: { code: status, ...error } });
}

/** A value that fits a JSON schema (OpenAPI-style upper-case types too): the first enum value, except
 * that a choice of who speaks next hands the turn back to the user. */
export function sampleForSchema(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null) return 'fake';
  const s = schema as { type?: string | string[]; enum?: unknown[]; properties?: Record<string, unknown>; items?: unknown; anyOf?: unknown[] };
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum.includes('user') ? 'user' : s.enum[0];
  if (Array.isArray(s.anyOf) && s.anyOf.length > 0) return sampleForSchema(s.anyOf[0]);
  const type = (Array.isArray(s.type) ? s.type[0] : s.type)?.toLowerCase() ?? '';
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(s.properties ?? {})) out[key] = sampleForSchema(value);
      return out;
    }
    case 'array':
      return [];
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return false;
    default:
      return 'fake';
  }
}

async function streamGenerate(call: FakeCall, model: string) {
  const reply = call.takeReply();
  if (reply.kind === 'error') return sendError(call, reply.status);
  const usage = reply.usage ?? DEFAULT_USAGE;
  const seq = call.record.seq;
  const sse = call.record.query.get('alt') === 'sse';
  const chunks: object[] = [];
  const emit = (data: object) => (sse ? call.sse(data) : chunks.push(data));
  if (sse) call.startSse();
  if ('thinking' in reply && reply.thinking) emit(chunk(model, seq, [{ text: reply.thinking, thought: true }]));
  if (reply.kind === 'tool' || reply.kind === 'write') {
    if (reply.text) emit(chunk(model, seq, [{ text: reply.text }]));
    const functionCall =
      reply.kind === 'tool'
        ? { name: 'run_shell_command', args: { command: reply.command, description: 'Run the scripted command' } }
        : { name: 'write_file', args: { file_path: reply.path, content: reply.content } };
    emit(chunk(model, seq, [{ functionCall }], { usage }));
  } else {
    const texts = textChunks(reply);
    if (reply.kind === 'stall') {
      emit(chunk(model, seq, [{ text: texts.join('') }]));
      if (!sse) call.startSse();
      await call.gone;
      return;
    }
    texts.forEach((text, i) => emit(chunk(model, seq, [{ text }], i === texts.length - 1 ? { usage } : undefined)));
  }
  if (sse) call.end();
  else call.sendJson(200, chunks);
}

function generate(call: FakeCall, model: string) {
  const pending = call.pendingError();
  if (pending) return sendError(call, pending.status);
  const body = (call.record.body ?? {}) as GenerateBody;
  const schema = body.generationConfig?.responseJsonSchema ?? body.generationConfig?.responseSchema;
  const text = schema !== undefined ? JSON.stringify(sampleForSchema(schema)) : 'ok';
  call.sendJson(200, chunk(model, call.record.seq, [{ text }], { usage: { inputTokens: 10, outputTokens: 1 } }));
}

export const geminiDialect: Dialect = {
  name: 'gemini',
  async handle(call) {
    const { method, path } = call.record;
    const match = /^\/v1(?:beta|alpha)?\/models\/([^:/]+):(\w+)$/.exec(path);
    if (method === 'POST' && match) {
      const [, model = 'gemini-fake', verb] = match;
      if (verb === 'streamGenerateContent') return streamGenerate(call, model);
      if (verb === 'generateContent') return generate(call, model);
      if (verb === 'countTokens') {
        call.record.role = 'aux';
        return call.sendJson(200, { totalTokens: 100 });
      }
    }
    if (method === 'GET' && /^\/v1(?:beta|alpha)?\/models$/.test(path)) {
      call.record.role = 'aux';
      return call.sendJson(200, { models: [{ name: 'models/gemini-2.5-flash', displayName: 'Gemini (fake)', supportedGenerationMethods: ['generateContent', 'streamGenerateContent', 'countTokens'] }] });
    }
    call.sendJson(404, { error: { code: 404, message: `fake gemini: no ${method} ${path}`, status: 'NOT_FOUND' } });
  },
};

/** The outputs of the function responses in a Gemini request (what the CLI's tools printed). */
export function geminiToolResults(body: unknown): string[] {
  const out: string[] = [];
  for (const content of (body as GenerateBody | undefined)?.contents ?? []) {
    for (const part of content.parts ?? []) {
      const response = part.functionResponse?.response;
      if (response) out.push(typeof response.output === 'string' ? response.output : JSON.stringify(response));
    }
  }
  return out;
}

/** Every text of a Gemini request's conversation, user and model, in order (thoughts left out). */
export function geminiTexts(body: unknown): string[] {
  const out: string[] = [];
  for (const content of (body as GenerateBody | undefined)?.contents ?? []) {
    for (const part of content.parts ?? []) if (part.text && !part.thought) out.push(part.text);
  }
  return out;
}
