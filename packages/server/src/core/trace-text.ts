import { PROTOCOL_VERSION, type Position } from '@onsembl/protocol';
import type { EventReference } from '../ports/store.js';

/**
 * The serialised trace:event message for dashboards, around the event's JSON text as it is stored:
 * built the same way live and when replayed, and without parsing or serialising the event again.
 */
export function traceEventText(ref: EventReference, eventText: string, position: Position): string {
  return `${traceEventBody(ref, eventText).slice(0, -1)},"position":${JSON.stringify(position)}}`;
}

/** The same message without its position (several nodes: the store numbers it once it is committed). */
export function traceEventBody(ref: EventReference, eventText: string): string {
  const payload = `{"commandId":${JSON.stringify(ref.commandId)},"agentId":${JSON.stringify(ref.agentId)},"sequence":${ref.sequence},"event":${eventText}}`;
  return `{"version":"${PROTOCOL_VERSION}","type":"trace:event","timestamp":${ref.timestamp},"payload":${payload}}`;
}
