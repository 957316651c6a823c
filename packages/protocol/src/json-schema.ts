import { PROTOCOL_VERSION } from './constants.js';
import { AgentToServer, ServerToAgent } from './schemas/agent.js';
import { DashboardToServer, ServerToDashboard } from './schemas/dashboard.js';
import {
  AgentListResponse, ApiError, AuditListResponse, CommandListResponse, OutputPageResponse, TracePageResponse, UsageResponse,
} from './schemas/rest.js';
import { TraceEvent } from './schemas/trace.js';

/**
 * The whole protocol as one JSON Schema document (draft 2020-12), for clients in other languages:
 * `$defs` holds one payload schema per direction and message type.
 */
export function protocolJsonSchema(): Record<string, unknown> {
  const defs: Record<string, unknown> = {};
  const add = (direction: string, schemas: Record<string, unknown>) => {
    for (const [type, schema] of Object.entries(schemas)) defs[`${direction}/${type}`] = schema;
  };
  add('dashboard-to-server', DashboardToServer);
  add('server-to-dashboard', ServerToDashboard);
  add('agent-to-server', AgentToServer);
  add('server-to-agent', ServerToAgent);
  add('rest', {
    'agents': AgentListResponse, 'commands': CommandListResponse, 'command-output': OutputPageResponse,
    'audit': AuditListResponse, 'error': ApiError, 'command-trace': TracePageResponse, 'usage': UsageResponse,
  });
  defs['trace-event'] = TraceEvent;
  return JSON.parse(
    JSON.stringify({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: `Onsembl protocol ${PROTOCOL_VERSION}`,
      description:
        'Every message is {version, type, timestamp, payload}; payload schemas are in $defs by direction/type; REST responses under rest/.',
      type: 'object',
      required: ['version', 'type', 'timestamp', 'payload'],
      properties: {
        version: { type: 'string' },
        type: { type: 'string' },
        timestamp: { type: 'number' },
        payload: { type: 'object' },
        position: { $ref: '#/$defs/position' },
      },
      $defs: {
        ...defs,
        position: {
          type: 'object',
          required: ['epoch', 'offset'],
          properties: { epoch: { type: 'string' }, offset: { type: 'integer', minimum: 0 } },
        },
      },
    }),
  ) as Record<string, unknown>;
}
