import type { Logger } from 'pino';
import type { Coordination, Fence } from '../../ports/coordination.js';

export interface MembershipOptions {
  /** How often the node renews its lease and looks for dead nodes. */
  heartbeatMs: number;
  /** A node that has not renewed for this long is declared dead (on the store's clock). */
  leaseMs: number;
}

/**
 * This node's lease in the cluster. It renews the lease every heartbeat and declares dead the
 * nodes whose lease ran out (any node may: the store lets one win), handing their agents to
 * `onReleased` so that every dashboard hears they went offline. A node that finds its own lease
 * lost (it was paused past it, or cut off) gives up every agent (`onLost`) and joins again.
 */
export class Membership {
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private stopped = false;

  constructor(
    private readonly coordination: Coordination,
    readonly nodeId: string,
    private readonly options: MembershipOptions,
    private readonly onReleased: (fences: Fence[]) => void,
    private readonly onLost: () => void,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.onReleased(await this.coordination.joinNode(this.nodeId, this.options.leaseMs));
    this.timer = setInterval(() => void this.tick(), this.options.heartbeatMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      if (!(await this.coordination.renewNode(this.nodeId, this.options.leaseMs))) {
        this.logger.error({ nodeId: this.nodeId }, 'this node lost its lease (declared dead by the others): giving up its agents and joining again');
        this.onLost();
        this.onReleased(await this.coordination.joinNode(this.nodeId, this.options.leaseMs));
      }
      const reaped = await this.coordination.reapNodes();
      if (reaped.length > 0) {
        this.logger.warn({ agents: reaped.map((f) => f.agentId) }, 'a node stopped renewing its lease: its agents are offline until they reconnect');
        this.onReleased(reaped);
      }
    } catch {
      // The store is down (Health says so); the lease is renewed on the next heartbeat that works.
    } finally {
      this.ticking = false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.coordination.leaveNode(this.nodeId).catch(() => undefined);
  }
}
