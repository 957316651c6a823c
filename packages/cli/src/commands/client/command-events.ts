import type { CommandStatusPayload, OnsemblClient, OutputChunk, OutputGap, QueueUpdate } from '@onsembl/client';

export interface CommandListener {
  output(chunk: OutputChunk): void;
  gap(gap: OutputGap): void;
  status(status: CommandStatusPayload): void;
}

type Recorded =
  | { kind: 'output'; commandId: string; value: OutputChunk }
  | { kind: 'gap'; commandId: string; value: OutputGap }
  | { kind: 'status'; commandId: string; value: CommandStatusPayload };

/**
 * Listens from before the connection opens, so nothing about a command is missed while its id is
 * still unknown: `ws` delivers every frame of one TCP read before an awaiting caller resumes, so a
 * command's `running` status and first output can arrive in the same turn as its `queued` answer.
 * Events are kept until `follow(commandId)`, replayed to the listener, then passed on live; the
 * newest queue of every agent is kept for the queue-position line.
 */
export class CommandEventBuffer {
  #recorded: Recorded[] | null = [];
  readonly #followed = new Map<string, CommandListener>();
  readonly #queues = new Map<string, QueueUpdate>();
  readonly #offs: Array<() => void>;

  constructor(client: OnsemblClient) {
    this.#offs = [
      client.on('output', (value) => this.#event({ kind: 'output', commandId: value.commandId, value })),
      client.on('gap', (value) => this.#event({ kind: 'gap', commandId: value.commandId, value })),
      client.on('status', (value) => this.#event({ kind: 'status', commandId: value.commandId, value })),
      client.on('queue', (value) => this.#queues.set(value.agentId, value)),
    ];
  }

  /** The newest `command:queue` of an agent. */
  queueOf(agentId: string): QueueUpdate | undefined {
    return this.#queues.get(agentId);
  }

  follow(commandId: string, listener: CommandListener): void {
    this.#followed.set(commandId, listener);
    const recorded = this.#recorded ?? [];
    // Only one command is followed per process: stop recording the others.
    this.#recorded = null;
    for (const event of recorded) if (event.commandId === commandId) deliver(listener, event);
  }

  close(): void {
    this.#offs.forEach((off) => off());
    this.#recorded = null;
    this.#followed.clear();
  }

  #event(event: Recorded): void {
    const listener = this.#followed.get(event.commandId);
    if (listener) deliver(listener, event);
    else this.#recorded?.push(event);
  }
}

function deliver(listener: CommandListener, event: Recorded): void {
  switch (event.kind) {
    case 'output':
      listener.output(event.value);
      break;
    case 'gap':
      listener.gap(event.value);
      break;
    case 'status':
      listener.status(event.value);
      break;
  }
}
