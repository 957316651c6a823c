import { PriorityRank, type QueueEntry } from '@onsembl/protocol';
import type { CommandRecord } from '../ports/store.js';

/**
 * One agent's waiting commands: priority first (high > normal > low), then arrival order.
 * Queues hold at most Limits.queueCapacity entries, so a sorted array is the simplest right structure.
 */
export class CommandQueue {
  private readonly entries: CommandRecord[] = [];

  get size(): number {
    return this.entries.length;
  }

  /** Inserts after every entry of the same or higher priority (stable for equal priorities). */
  push(command: CommandRecord): void {
    const rank = PriorityRank[command.priority];
    let index = this.entries.length;
    while (index > 0 && PriorityRank[(this.entries[index - 1] as CommandRecord).priority] < rank) index--;
    this.entries.splice(index, 0, command);
  }

  shift(): CommandRecord | undefined {
    return this.entries.shift();
  }

  remove(commandId: string): CommandRecord | undefined {
    const index = this.entries.findIndex((c) => c.id === commandId);
    return index === -1 ? undefined : this.entries.splice(index, 1)[0];
  }

  clear(): CommandRecord[] {
    return this.entries.splice(0, this.entries.length);
  }

  /** spec "Include position for each queued command": 1 = runs next. */
  snapshot(): QueueEntry[] {
    return this.entries.map((c, i) => ({ commandId: c.id, command: c.command, priority: c.priority, position: i + 1 }));
  }
}
