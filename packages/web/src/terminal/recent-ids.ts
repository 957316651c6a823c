/**
 * The most recent `capacity` ids added, oldest dropped first: a memory of what happened lately that
 * stays the same size however long the page runs.
 */
export class RecentIds {
  readonly #ids = new Set<string>();

  constructor(readonly capacity: number) {}

  add(id: string): void {
    // Re-adding moves an id to the newest end, so it is kept the longest.
    this.#ids.delete(id);
    this.#ids.add(id);
    if (this.#ids.size <= this.capacity) return;
    const oldest = this.#ids.values().next();
    if (!oldest.done) this.#ids.delete(oldest.value);
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  get size(): number {
    return this.#ids.size;
  }
}
