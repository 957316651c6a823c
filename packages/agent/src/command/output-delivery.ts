import { PROTOCOL_VERSION, toServerFromAgent, type AgentToServerPayloads } from '@onsembl/protocol';
import type { Logger } from 'pino';
import type { UnackedOutput } from '../output/unacked-output.js';
import type { UnackedTrace } from '../output/unacked-trace.js';
import type { RunningCommand } from '../runner/runner.js';
import type { AgentCommandOutbox } from './command-outbox.js';

export type ExitPayload = AgentToServerPayloads['command:exit'];

/** What delivery reads from its command, as it is at the moment of asking. */
export interface DeliverySource {
  readonly output: UnackedOutput;
  /** Trace events of an AI run (empty for shell commands). */
  readonly trace: UnackedTrace;
  /** Set once the command has ended (or was refused). */
  readonly exit: ExitPayload | undefined;
  /** The program, while it runs. */
  readonly running: RunningCommand | undefined;
}

/**
 * Delivers one command's output, trace events and exit on the current connection, each stream in
 * order and the exit after both, and applies flow control: while connected, a program is held (its output no longer read, so its writes block, as on
 * a real terminal) when the socket is congested or more than `windowBytes` are unacknowledged, and
 * let go once the server caught up to half of that. Without a connection it runs freely and its
 * output goes to memory and spool files.
 *
 * The window bounds what the agent must keep: the socket drains as fast as the server reads, but
 * the server acknowledges only what it has stored, so the socket alone would let a fast program's
 * unacknowledged output grow with the server's storing.
 *
 * Trace events are kept in memory only, so a full trace buffer holds the program even without a
 * connection: it waits (its writes block) rather than lose events.
 */
export class OutputDelivery {
  private sentThrough = 0;
  private traceSentThrough = 0;
  private exitSent = false;
  private held = false;
  private commandIdJson: string | undefined;

  constructor(
    private readonly commandId: string,
    private readonly source: DeliverySource,
    private readonly outbox: AgentCommandOutbox,
    private readonly windowBytes: number,
    private readonly logger: Logger,
  ) {}

  /** A new connection is registered (or the server asked again): everything unacknowledged goes again. */
  restart(): void {
    this.sentThrough = this.source.output.ackedThrough;
    this.traceSentThrough = this.source.trace.ackedThrough;
    this.exitSent = false;
    this.pump();
  }

  /** Sends every chunk not yet sent on this connection while the socket takes them, then the exit. */
  pump(): void {
    const { output, trace, exit } = this.source;
    if (this.outbox.ready) {
      for (;;) {
        const sequence = Math.max(this.sentThrough, output.ackedThrough) + 1;
        if (sequence > output.lastSequence || !this.outbox.writable) break;
        const data = this.readChunk(sequence);
        this.outbox.send(toServerFromAgent('terminal:output', { commandId: this.commandId, sequence, stream: 'stdout', data }));
        this.sentThrough = sequence;
      }
      for (;;) {
        const sequence = Math.max(this.traceSentThrough, trace.ackedThrough) + 1;
        if (sequence > trace.lastSequence || !this.outbox.writable) break;
        this.outbox.sendText(this.traceText(sequence, trace.json(sequence)));
        this.traceSentThrough = sequence;
      }
      const allSent = this.sentThrough >= output.lastSequence && this.traceSentThrough >= trace.lastSequence;
      if (exit && !this.exitSent && allSent) {
        this.outbox.send(toServerFromAgent('command:exit', exit));
        this.exitSent = true;
      }
    }
    this.applyFlowControl();
  }

  /** Re-evaluates holding the program (after an acknowledgement or a disconnection). */
  applyFlowControl(): void {
    const { running, output, trace, exit } = this.source;
    if (!running || exit) return;
    if (trace.full) return this.setHeld(running, true);
    if (!this.outbox.ready) return this.setHeld(running, false);
    if (!this.outbox.writable || output.unackedBytes > this.windowBytes) return this.setHeld(running, true);
    if (output.unackedBytes <= this.windowBytes / 2) this.setHeld(running, false);
  }

  private setHeld(running: RunningCommand, held: boolean): void {
    if (held === this.held) return;
    this.held = held;
    if (held) running.pauseOutput();
    else running.resumeOutput();
    const { output, trace } = this.source;
    const state = { lastSequence: output.lastSequence, unackedBytes: output.unackedBytes, unackedTrace: trace.unackedCount };
    this.logger.debug(state, held ? 'server not keeping up: holding command output' : 'server caught up: reading command output again');
  }

  /** A trace:event message around the event's JSON text, which was serialised once when it was made. */
  private traceText(sequence: number, eventJson: string): string {
    this.commandIdJson ??= JSON.stringify(this.commandId);
    return `{"version":"${PROTOCOL_VERSION}","type":"trace:event","timestamp":${Date.now()},"payload":{"commandId":${this.commandIdJson},"sequence":${sequence},"event":${eventJson}}}`;
  }

  private readChunk(sequence: number): string {
    try {
      return this.source.output.get(sequence);
    } catch (error) {
      // The spool file was damaged or removed behind our back. Keep the sequence contiguous and say so.
      this.logger.error({ sequence, err: error }, 'output chunk lost from the spool');
      return `\r\n[onsembl agent: output chunk ${sequence} was lost from its spool file]\r\n`;
    }
  }
}
