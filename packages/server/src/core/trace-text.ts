import { PROTOCOL_VERSION, type Position } from '@onsembl/protocol';
import type { EventReference } from '../ports/store.js';

/**
 * The serialised trace:event message for dashboards, around the event's JSON text as it is stored:
 * built the same way live and when replayed, and without parsing or serialising the event again.
 */
export function traceEventText(ref: EventReference, eventText: string, position: Position): string {
  const payload = `{"commandId":${JSON.stringify(ref.commandId)},"agentId":${JSON.stringify(ref.agentId)},"sequence":${ref.sequence},"event":${eventText}}`;
  return `{"version":"${PROTOCOL_VERSION}","type":"trace:event","timestamp":${ref.timestamp},"payload":${payload},"position":${JSON.stringify(position)}}`;
}
