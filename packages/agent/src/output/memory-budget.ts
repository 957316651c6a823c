/**
 * How many bytes of unacknowledged output all commands of this agent may keep in memory together.
 * Past it, new output goes to spool files (see UnackedOutput).
 */
export class MemoryBudget {
  private used = 0;

  constructor(readonly limitBytes: number) {}

  get usedBytes(): number {
    return this.used;
  }

  /** Reserves `bytes` if they fit; false means "spill to disk". */
  tryReserve(bytes: number): boolean {
    if (this.used + bytes > this.limitBytes) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}
