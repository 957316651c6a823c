import fc from 'fast-check';
import { PROTOCOL_VERSION } from '@onsembl/protocol';

/** Valid payloads of every message type of one endpoint: the seeds that mutations start from. */
export const DASHBOARD_TEMPLATES: Array<[string, Record<string, unknown>]> = [
  ['command:request', { agentId: 'fuzz-agent', command: 'echo hi', priority: 'normal', requestId: 'r1' }],
  ['command:interrupt', { commandId: 'cmd-1' }],
  ['heartbeat', { sequence: 1 }],
  ['token:refresh', { token: 'x.y.z' }],
  ['emergency:stop', { reason: 'fuzz' }],
];
export const AGENT_TEMPLATES: Array<[string, Record<string, unknown>]> = [
  ['command:started', { commandId: 'cmd-1', pid: 10 }],
  ['terminal:output', { commandId: 'cmd-1', sequence: 1, stream: 'stdout', data: 'hello' }],
  ['command:exit', { commandId: 'cmd-1', exitCode: 0, signal: null, durationMs: 1, lastSequence: 1, outcome: 'exited' }],
  ['heartbeat', { sequence: 1 }],
  ['trace:event', { commandId: 'cmd-1', sequence: 1, event: { kind: 'message', at: 1, text: 'hi' } }],
];

const envelope = (type: string, payload: unknown) => ({ version: PROTOCOL_VERSION, type, timestamp: Date.now(), payload });

/** Values to put, wrapped in an object, where a primitive field belongs. */
const wrongValue = fc.oneof(
  fc.constant(null), fc.boolean(), fc.string({ maxLength: 20 }), fc.double(), fc.integer(),
  fc.constant(Number.MAX_VALUE), fc.constant(-1), fc.array(fc.integer(), { maxLength: 3 }), fc.object({ maxDepth: 2 }),
  fc.constant('\u0000\u0007'), fc.constant('x'.repeat(12_000)),
);

function nest(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/**
 * Messages that are certainly invalid: each must be answered with exactly one INVALID_MESSAGE.
 * Kinds: truncated JSON, a BOM before the JSON, deep nesting, non-object JSON, wrong field types,
 * missing fields, unknown types, other major versions, huge numbers.
 */
export function invalidMessages(templates: Array<[string, Record<string, unknown>]>) {
  const template = fc.constantFrom(...templates);
  const required = (payload: Record<string, unknown>) => Object.keys(payload).filter((k) => k !== 'requestId' && k !== 'reason');
  // Templates with required fields to break (emergency:stop has none).
  const breakable = fc.constantFrom(...templates.filter(([, payload]) => required(payload).length > 0));
  return fc.oneof(
    template.chain(([type, payload]) => {
      const text = JSON.stringify(envelope(type, payload));
      return fc.integer({ min: 1, max: text.length - 1 }).map((cut) => text.slice(0, cut));
    }),
    template.map(([type, payload]) => `\uFEFF${JSON.stringify(envelope(type, payload))}`),
    fc.integer({ min: 1_000, max: 20_000 }).map((depth) => nest(depth)),
    fc.integer({ min: 50, max: 10_000 }).map((depth) =>
      `{"version":"1.0.0","type":"heartbeat","timestamp":1,"payload":{"sequence":"1","deep":${nest(depth)}}}`),
    fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.array(fc.integer())).map((v) => JSON.stringify(v)),
    fc.tuple(breakable, wrongValue).chain(([[type, payload], bad]) =>
      fc.constantFrom(...required(payload)).map((key) =>
        // Every required field is a primitive (or null), so an object or array there is always wrong.
        JSON.stringify(envelope(type, { ...payload, [key]: typeof bad === 'object' && bad !== null ? bad : { value: bad } })),
      ),
    ),
    breakable.chain(([type, payload]) =>
      fc.constantFrom(...required(payload)).map((key) => {
        const { [key]: _gone, ...rest } = payload;
        return JSON.stringify(envelope(type, rest));
      }),
    ),
    fc.string({ minLength: 1, maxLength: 30 }).map((type) => JSON.stringify(envelope(`x-${type}`, {}))),
    template.chain(([type, payload]) =>
      fc.integer({ min: 2, max: 99 }).map((major) => JSON.stringify({ ...envelope(type, payload), version: `${major}.0.0` })),
    ),
    fc.constantFrom('1e400', '-1e400', '12345678901234567890123', '1.5', '-0.5e3').map(
      (n) => `{"version":"1.0.0","type":"heartbeat","timestamp":1,"payload":{"sequence":${n}}}`,
    ),
  );
}

/**
 * Anything at all: random JSON, mutated valid messages with `__proto__` keys, extra fields and huge
 * numbers, and binary frames. The server may accept some; it must never crash and must answer only
 * with messages of the protocol.
 */
export function anyMessages(templates: Array<[string, Record<string, unknown>]>) {
  const template = fc.constantFrom(...templates);
  return fc.oneof(
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
    template.map(([type, payload]) => JSON.stringify(envelope(type, payload)).replace('"payload":{', '"payload":{"__proto__":{"polluted":true},')),
    template.map(([type, payload]) => JSON.stringify(envelope(type, payload)).replace('{', '{"__proto__":{"type":"heartbeat"},"constructor":{"prototype":{"x":1}},')),
    fc.tuple(template, fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })).map(([[type, payload], extra]) =>
      JSON.stringify({ ...envelope(type, { ...payload, ...extra }), ...extra })),
    fc.uint8Array({ minLength: 1, maxLength: 256 }).map((bytes) => Buffer.from(bytes)),
    fc.string({ maxLength: 200 }),
  );
}
