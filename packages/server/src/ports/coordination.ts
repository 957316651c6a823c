import type { ApprovalDecidedPayload, ApprovalRequestPayload, InterruptReason } from '@onsembl/protocol';
import type { AgentRecord, AuditEntry, CommandPatch, CommandRecord, NewEvent } from './store.js';

/**
 * An owner's right to write for an agent: the generation it got when it claimed the agent. Every
 * claim moves the generation on, so a node that lost the agent (paused, cut off, declared dead)
 * holds an old one, and every write it makes under it is refused in the same transaction.
 */
export interface Fence {
  agentId: string;
  generation: number;
}

/** A dashboard event an owner commits, with the command state it records, under its fence. */
export interface FencedEvent extends NewEvent {
  /** Absent for events nobody owns (an emergency stop, a cancel by any node, the agent list). */
  fence?: Fence | undefined;
  /** Written in the same transaction as the event: the event says it happened, so both or neither. */
  update?: { commandId: string; patch: CommandPatch } | undefined;
  /**
   * A command stored in the same transaction as the event announcing it (a request on a node that
   * does not own the agent): its owner cannot find it queued before its queued status has an offset.
   */
  create?: CommandRecord | undefined;
  /** An approval's question or decision, stored with the event announcing it; the event is dropped when it does not hold. */
  approval?: ApprovalWrite | undefined;
}

/**
 * What an approval event writes in its transaction (core/cluster/cluster-approvals.ts). `ask`
 * stores a new question (dropped when the id is stored already: asked again); `decide` decides it
 * only while it waits (dropped when another answer came first): the first decision wins across nodes.
 * The audit entry is stored with it, so each question and decision is audited once, and even when
 * the node dies right after.
 */
export type ApprovalWrite = (
  | { kind: 'ask'; question: ApprovalRequestPayload }
  | { kind: 'decide'; decided: ApprovalDecidedPayload }
) & { audit: AuditEntry };

/** An approval question as every node finds it in the store, with its decision once made. */
export interface StoredApproval {
  question: ApprovalRequestPayload;
  decided: ApprovalDecidedPayload | undefined;
}

/** A command not yet final, with what only several nodes need to know about it. */
export interface UnfinishedCommand extends CommandRecord {
  /** The owner sent it to the agent (it may be running there although it still reads `queued`). */
  dispatched: boolean;
  /** An interrupt asked for on any node, to be delivered by whichever node owns the agent. */
  interruptRequested: InterruptReason | undefined;
}

/** What an emergency stop reached: the queued commands it cancelled (as they are now), the sent or running ones it interrupted. */
export interface StopOutcome {
  cancelled: CommandRecord[];
  interrupted: CommandRecord[];
}

/** What the store knows of an agent's connection, across nodes. */
export interface AgentPresence extends AgentRecord {
  /** The node holding its socket; undefined while nobody does. */
  ownerNode: string | undefined;
  /** Set while a node holds its socket. */
  connectedAt: number | undefined;
  generation: number;
}

/**
 * What several server nodes must agree on, kept in the shared store (docs/scale-out.md): who
 * owns each agent, which nodes are alive, and the command transitions more than one node may race
 * for. Only a store several nodes share implements it (PostgreSQL); the embedded server is one node
 * and needs none of it.
 */
export interface Coordination {
  /**
   * This node now holds the agent's socket: stores its record, makes this node its owner, and moves
   * its generation on (fencing out whoever held it) unless this node was its last owner (a
   * reconnect). Resolves with the generation and the node that owned it before, if another one did.
   */
  claimAgent(record: AgentRecord, nodeId: string, connectedAt: number): Promise<{ generation: number; previousNode: string | undefined }>;
  /**
   * The agent's socket on this node closed: nobody holds it now, unless another node claimed it
   * meanwhile (then false). The node stays its last owner: claiming it back keeps the generation.
   */
  releaseAgent(fence: Fence, lastSeenAt: number): Promise<boolean>;
  /** Every agent with who holds it now. */
  listPresence(): Promise<AgentPresence[]>;
  /**
   * A node starts: its lease begins (`leaseMs` on the store's clock), and whatever a previous
   * process under the same node id still held is released (that process is gone). Resolves with
   * those agents, at their new generation.
   */
  joinNode(nodeId: string, leaseMs: number): Promise<Fence[]>;
  /** Extends this node's lease by `leaseMs` from now; false when it was lost (others declared it dead). */
  renewNode(nodeId: string, leaseMs: number): Promise<boolean>;
  /**
   * Declares the nodes whose lease ran out dead: their agents lose their owner and move to a new
   * generation (the dead node's writes are refused from then on). Resolves with those agents.
   */
  reapNodes(): Promise<Fence[]>;
  /** This node leaves: its lease row goes; its agents were released or will be reaped. */
  leaveNode(nodeId: string): Promise<void>;
  /**
   * Commits events in one transaction, in the order given, numbered like Store.insertEvents; an
   * event whose fence no longer holds is dropped with its update. Resolves with each event's offset
   * (undefined for a dropped one).
   */
  commitEvents(events: readonly FencedEvent[]): Promise<Array<number | undefined>>;
  /**
   * The highest output and trace sequences of a command that have a dashboard event: a node that
   * adopts the command takes resends above them as new (stored once, and told to dashboards once).
   */
  lastEventSequences(commandId: string): Promise<{ output: number; trace: number }>;
  /** The agents' commands not yet final, oldest first (queued ones in queue order). */
  unfinishedCommands(agentIds: readonly string[]): Promise<UnfinishedCommand[]>;
  /** The owner sends a queued command to its agent: true only if it is still queued, not sent, and the fence holds. */
  dispatchCommand(commandId: string, fence: Fence): Promise<boolean>;
  /**
   * Cancels queued commands no owner has sent yet (the given ones, or all of them), writing `patch`;
   * resolves with those it cancelled, as they are now.
   */
  cancelQueued(commandIds: readonly string[] | 'all', patch: CommandPatch): Promise<CommandRecord[]>;
  /**
   * An emergency stop, in one transaction that every command insert serializes with: cancels every
   * queued command no owner has sent (writing `patch`), records an `emergency` interrupt for every
   * sent or running one, and commits the events `announce` makes of that outcome (numbered like
   * commitEvents). A command stored before it is cancelled or interrupted by it; one stored after
   * it is numbered after its events. Resolves with the outcome and the events' offsets.
   */
  emergencyStop(patch: CommandPatch, announce: (outcome: StopOutcome) => NewEvent[]): Promise<StopOutcome & { offsets: number[] }>;
  /** Records an interrupt for sent or running commands (the given ones, or all of them); resolves with those it reached. */
  requestInterrupt(commandIds: readonly string[] | 'all', reason: InterruptReason): Promise<CommandRecord[]>;
  /** An approval question and its decision (the newest decided ones are kept, Limits.approvalsDecidedKept). */
  approval(approvalId: string): Promise<StoredApproval | undefined>;
  /** The questions nobody has decided yet, oldest first. */
  waitingApprovals(): Promise<ApprovalRequestPayload[]>;
}

/** Bus topic of the hints nodes send each other; each one only hastens what polling the store finds anyway. */
export const CLUSTER_TOPIC = 'cluster';

/** A hint between nodes (JSON on CLUSTER_TOPIC). */
export type ClusterHint =
  /** An agent's queue changed in the store: its owner reloads it. */
  | { kind: 'queue'; agentId: string }
  /** Interrupts were recorded: the owners deliver them. */
  | { kind: 'interrupt' }
  /** A node claimed an agent: any other node holding a socket for it closes it. */
  | { kind: 'claimed'; agentId: string; node: string; generation: number };
