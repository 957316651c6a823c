import type { AgentToServerMessage } from '@onsembl/protocol';

/** What commands need from the connection to deliver their messages. */
export interface AgentCommandOutbox {
  /** Registered (connection:ack received): messages may be sent. */
  readonly ready: boolean;
  /** The socket's send buffer has room; when false, hold output until `drain`. */
  readonly writable: boolean;
  send(message: AgentToServerMessage): void;
  /** A message already serialised (trace events are serialised once, when they are made). */
  sendText(text: string): void;
}
