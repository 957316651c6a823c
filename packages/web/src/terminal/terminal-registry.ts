import type { CommandStatusPayload, OnsemblClient } from '@onsembl/client';
import { AgentTerminal } from './agent-terminal.js';
import { endLine, gapLine, noteLine, startLine } from './lines.js';

const FINAL = new Set(['completed', 'failed', 'cancelled', 'timeout']);

/**
 * Routes every command's output to its agent's terminal, with a `$ command` line when it starts,
 * an outcome line when it ends and a dim marker for gaps. Terminals are made on first use.
 */
export class TerminalRegistry {
  readonly #terminals = new Map<string, AgentTerminal>();
  /** Commands whose start line is written, so a repeated `running` status does not repeat it. */
  readonly #started = new Set<string>();
  readonly #ended = new Set<string>();
  readonly #unsubscribe: (() => void)[];

  constructor(client: OnsemblClient, commandText: (commandId: string) => string | null) {
    this.#unsubscribe = [
      client.on('status', (status) => this.#onStatus(status, commandText)),
      client.on('output', (chunk) => {
        if (!this.#started.has(chunk.commandId)) this.#writeStart(chunk.agentId, chunk.commandId, commandText(chunk.commandId));
        this.get(chunk.agentId).write(chunk.data);
      }),
      client.on('gap', (gap) => this.get(gap.agentId).writeLine(gapLine(gap))),
      client.on('reset', () => {
        for (const terminal of this.#terminals.values()) {
          terminal.writeLine(noteLine('── reconnected: the server could not replay what happened meanwhile; live output resumes here ──'));
        }
      }),
    ];
  }

  get(agentId: string): AgentTerminal {
    let terminal = this.#terminals.get(agentId);
    if (!terminal) {
      terminal = new AgentTerminal();
      this.#terminals.set(agentId, terminal);
    }
    return terminal;
  }

  dispose(): void {
    for (const off of this.#unsubscribe) off();
    for (const terminal of this.#terminals.values()) terminal.dispose();
    this.#terminals.clear();
  }

  #onStatus(status: CommandStatusPayload, commandText: (commandId: string) => string | null): void {
    if (status.status === 'running' && !this.#started.has(status.commandId)) {
      this.#writeStart(status.agentId, status.commandId, status.command ?? commandText(status.commandId));
    }
    // A command cancelled while still queued never ran: no outcome line in the terminal.
    if (FINAL.has(status.status) && this.#started.has(status.commandId) && !this.#ended.has(status.commandId)) {
      this.#ended.add(status.commandId);
      this.get(status.agentId).writeLine(endLine(status));
    }
  }

  #writeStart(agentId: string, commandId: string, command: string | null): void {
    this.#started.add(commandId);
    this.get(agentId).writeLine(startLine(commandId, command));
  }
}
