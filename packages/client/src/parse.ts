import type { Position, ServerToDashboardMessage } from '@onsembl/protocol';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPosition(value: unknown): value is Position {
  return isObject(value) && typeof value.epoch === 'string' && typeof value.offset === 'number';
}

/**
 * Reads one text frame from the server. Only the envelope is checked: payloads are trusted as the
 * server's (it validates its own output), which keeps the schema compiler, and the `eval` it needs,
 * out of browser bundles. Anything malformed is dropped.
 */
export function parseIncoming(data: unknown): ServerToDashboardMessage | null {
  if (typeof data !== 'string') return null;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isObject(value) || typeof value.type !== 'string' || !isObject(value.payload)) return null;
  if (value.position !== undefined && !isPosition(value.position)) delete value.position;
  return value as unknown as ServerToDashboardMessage;
}
