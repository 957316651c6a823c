import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { PROTOCOL_MAJOR, PROTOCOL_VERSION } from './constants.js';
import type {
  AgentToServerMessage, DashboardToServerMessage, Envelope, ServerToAgentMessage, ServerToDashboardMessage,
} from './messages.js';
import { AgentToServer, ServerToAgent } from './schemas/agent.js';
import { DashboardToServer, ServerToDashboard } from './schemas/dashboard.js';

export type ParseResult<M> =
  | { ok: true; message: M }
  | { ok: false; error: string; type?: string; requestId?: string };

const VERSION_RE = /^(\d{1,6})\.(\d{1,6})\.(\d{1,6})(?:[-+][0-9A-Za-z.+-]{0,64})?$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Compiles one validator per message type once, then checks envelopes and payloads.
 * Unknown fields are ignored (spec "New fields added as optional"); any 1.x version is accepted.
 */
export function createParser<M extends Envelope>(schemas: Record<string, TSchema>) {
  const checks = new Map<string, TypeCheck<TSchema>>();
  for (const [type, schema] of Object.entries(schemas)) checks.set(type, TypeCompiler.Compile(schema));

  /** Validates an already-parsed value. */
  function check(value: unknown): ParseResult<M> {
    if (!isPlainObject(value)) return { ok: false, error: 'message must be a JSON object' };
    const { version, type, timestamp, payload } = value;
    const typeName = typeof type === 'string' ? type.slice(0, 64) : undefined;
    const requestId =
      isPlainObject(payload) && typeof payload.requestId === 'string' ? payload.requestId.slice(0, 128) : undefined;
    const fail = (error: string): ParseResult<M> => ({
      ok: false,
      error,
      ...(typeName === undefined ? {} : { type: typeName }),
      ...(requestId === undefined ? {} : { requestId }),
    });
    if (typeof version !== 'string') return fail('envelope.version must be a string');
    const match = VERSION_RE.exec(version);
    if (!match) return fail(`envelope.version "${version.slice(0, 32)}" is not a semantic version`);
    if (Number(match[1]) !== PROTOCOL_MAJOR) {
      return fail(`unsupported protocol version ${version.slice(0, 32)}; this server supports ${PROTOCOL_VERSION}`);
    }
    if (typeName === undefined) return fail('envelope.type must be a string');
    if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
      return fail('envelope.timestamp must be a number (ms since epoch)');
    }
    if (!isPlainObject(payload)) return fail('envelope.payload must be an object');
    const validator = checks.get(typeName);
    if (!validator) return fail(`unknown message type "${typeName}"`);
    if (!validator.Check(payload)) {
      const first = validator.Errors(payload).First();
      const where = first?.path ? `payload${first.path.replaceAll('/', '.')}` : 'payload';
      return fail(`${typeName}: ${where} ${first?.message ?? 'is invalid'}`.slice(0, 500));
    }
    return { ok: true, message: value as unknown as M };
  }

  /** Parses raw text (one WebSocket text frame) and validates it. Never throws. */
  function parse(raw: string): ParseResult<M> {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return { ok: false, error: 'message is not valid JSON' };
    }
    return check(value);
  }

  return { parse, check };
}

export const parseDashboardMessage = createParser<DashboardToServerMessage>(DashboardToServer);
export const parseServerToDashboardMessage = createParser<ServerToDashboardMessage>(ServerToDashboard);
export const parseAgentMessage = createParser<AgentToServerMessage>(AgentToServer);
export const parseServerToAgentMessage = createParser<ServerToAgentMessage>(ServerToAgent);
