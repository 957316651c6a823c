import {
  AgentStatus, FINAL_COMMAND_STATUSES, type AgentInfo, type CommandStatusPayload, type QueueEntry, type ServerToDashboardPayloads,
} from '@onsembl/protocol';
import type { AgentPresence, UnfinishedCommand } from '../../ports/coordination.js';
import type { FeedEvent } from './event-feed.js';

/**
 * What every dashboard of the cluster has been told about agents, queues and running commands, as
 * of the last event this node delivered: built from the store when the node starts, then from the
 * ordered feed. A dashboard that starts from nothing gets its picture from here, so the picture and
 * the position in its connection:ack always agree, whichever node holds the agents.
 */
export class ClusterView {
  private readonly agents = new Map<string, AgentInfo>();
  private readonly queues = new Map<string, QueueEntry[]>();
  /** commandId → its latest status while it runs (or was sent and not yet started). */
  private readonly running = new Map<string, CommandStatusPayload>();

  /** The state in the store when the node starts (the feed goes on from there). */
  load(presence: readonly AgentPresence[], unfinished: readonly UnfinishedCommand[]): void {
    const current = new Map<string, string>();
    for (const c of unfinished) {
      if (c.dispatched || c.status === 'running') {
        current.set(c.agentId, c.id);
        const payload: CommandStatusPayload = {
          commandId: c.id, agentId: c.agentId, status: c.status, command: c.command, priority: c.priority,
          requestedBy: c.requestedBy, queuedAt: c.queuedAt,
        };
        if (c.startedAt !== undefined) payload.startedAt = c.startedAt;
        this.running.set(c.id, payload);
      } else {
        const queue = this.queues.get(c.agentId) ?? [];
        queue.push({ commandId: c.id, command: c.command, priority: c.priority, position: queue.length + 1 });
        this.queues.set(c.agentId, queue);
      }
    }
    for (const p of presence) {
      const online = p.connectedAt !== undefined;
      const currentCommandId = online ? (current.get(p.id) ?? null) : null;
      const info: AgentInfo = {
        id: p.id, name: p.name, type: p.type, lastSeenAt: p.lastSeenAt, currentCommandId,
        status: !online ? AgentStatus.offline : currentCommandId ? AgentStatus.busy : AgentStatus.online,
        queueLength: this.queues.get(p.id)?.length ?? 0,
      };
      if (p.hostname !== undefined) info.hostname = p.hostname;
      if (p.version !== undefined) info.version = p.version;
      if (online && p.connectedAt !== undefined) info.connectedAt = p.connectedAt;
      this.agents.set(p.id, info);
    }
  }

  /** Applies one delivered event (statuses, queues, the agent list; output passes through untouched). */
  apply(event: FeedEvent): void {
    switch (event.type) {
      case 'agent:status': {
        const { agent } = (JSON.parse(event.text) as { payload: ServerToDashboardPayloads['agent:status'] }).payload;
        this.agents.set(agent.id, agent);
        return;
      }
      case 'agent:list': {
        const { agents } = (JSON.parse(event.text) as { payload: ServerToDashboardPayloads['agent:list'] }).payload;
        for (const agent of agents) this.agents.set(agent.id, agent);
        return;
      }
      case 'command:queue': {
        const { agentId, queue } = (JSON.parse(event.text) as { payload: ServerToDashboardPayloads['command:queue'] }).payload;
        if (queue.length === 0) this.queues.delete(agentId);
        else this.queues.set(agentId, queue);
        return;
      }
      case 'command:status': {
        const status = (JSON.parse(event.text) as { payload: CommandStatusPayload }).payload;
        if (FINAL_COMMAND_STATUSES.has(status.status)) this.running.delete(status.commandId);
        else if (status.status === 'running' || this.running.has(status.commandId)) this.running.set(status.commandId, status);
        return;
      }
    }
  }

  info(agentId: string): AgentInfo | undefined {
    return this.agents.get(agentId);
  }

  list(): AgentInfo[] {
    return [...this.agents.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  isOnline(agentId: string): boolean {
    const status = this.agents.get(agentId)?.status;
    return status !== undefined && status !== AgentStatus.offline;
  }

  queueLength(agentId: string): number {
    return this.queues.get(agentId)?.length ?? 0;
  }

  snapshot(): { queues: Array<{ agentId: string; queue: QueueEntry[] }>; running: CommandStatusPayload[] } {
    return {
      queues: [...this.queues].map(([agentId, queue]) => ({ agentId, queue })),
      running: [...this.running.values()],
    };
  }
}
