import type { Static, TSchema } from '@sinclair/typebox';
import { PROTOCOL_VERSION } from './constants.js';
import type { Position } from './schemas/common.js';
import type { AgentToServer, ServerToAgent } from './schemas/agent.js';
import type { DashboardToServer, ServerToDashboard } from './schemas/dashboard.js';

/** spec "Message Format": every message, both directions, both endpoints. */
export interface Envelope<K extends string = string, P = unknown> {
  version: string;
  type: K;
  timestamp: number;
  payload: P;
  /** Set on events a dashboard can resume from (docs/delivery.md). */
  position?: Position;
}

type PayloadsOf<M extends Record<string, TSchema>> = { [K in keyof M & string]: Static<M[K]> };
/** The discriminated union of every message of a direction. */
type MessageUnion<M extends Record<string, TSchema>> = {
  [K in keyof M & string]: Envelope<K, Static<M[K]>>;
}[keyof M & string];

export type DashboardToServerPayloads = PayloadsOf<typeof DashboardToServer>;
export type ServerToDashboardPayloads = PayloadsOf<typeof ServerToDashboard>;
export type AgentToServerPayloads = PayloadsOf<typeof AgentToServer>;
export type ServerToAgentPayloads = PayloadsOf<typeof ServerToAgent>;

export type DashboardToServerMessage = MessageUnion<typeof DashboardToServer>;
export type ServerToDashboardMessage = MessageUnion<typeof ServerToDashboard>;
export type AgentToServerMessage = MessageUnion<typeof AgentToServer>;
export type ServerToAgentMessage = MessageUnion<typeof ServerToAgent>;

export type DashboardToServerType = DashboardToServerMessage['type'];
export type ServerToDashboardType = ServerToDashboardMessage['type'];
export type AgentToServerType = AgentToServerMessage['type'];
export type ServerToAgentType = ServerToAgentMessage['type'];

/** Picks one message of a union by its type. */
export type MessageOfType<U extends Envelope, K extends U['type']> = Extract<U, { type: K }>;

/** Wraps a payload in the envelope. Typed per direction through the helpers below. */
export function envelope<K extends string, P>(type: K, payload: P, timestamp = Date.now()): Envelope<K, P> {
  return { version: PROTOCOL_VERSION, type, timestamp, payload };
}

export const toDashboard = <K extends ServerToDashboardType>(type: K, payload: ServerToDashboardPayloads[K]) =>
  envelope(type, payload);
export const toServerFromDashboard = <K extends DashboardToServerType>(type: K, payload: DashboardToServerPayloads[K]) =>
  envelope(type, payload);
export const toAgent = <K extends ServerToAgentType>(type: K, payload: ServerToAgentPayloads[K]) =>
  envelope(type, payload);
export const toServerFromAgent = <K extends AgentToServerType>(type: K, payload: AgentToServerPayloads[K]) =>
  envelope(type, payload);
