import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemoryBudget } from './memory-budget.js';
import { SpoolDirectory } from './spool-directory.js';
import { UnackedOutput } from './unacked-output.js';

function setup(limitBytes: number, spoolSegmentBytes = 1024) {
  const spool = new SpoolDirectory();
  const budget = new MemoryBudget(limitBytes);
  const output = new UnackedOutput({ commandId: 'cmd:1', budget, spool, spoolSegmentBytes });
  return {
    spool,
    budget,
    output,
    files: () => readdirSync(spool.path),
    [Symbol.dispose]: () => {
      output.dispose();
      spool.remove();
    },
  };
}

const chunk = (n: number) => `chunk ${n} ünï ${'.'.repeat(n % 50)}\n`;

describe('UnackedOutput', () => {
  it('keeps chunks in memory within the budget and frees them on acknowledgement', () => {
    using s = setup(1_000_000);
    for (let n = 1; n <= 100; n++) expect(s.output.append(chunk(n))).toBe(n);
    expect(s.files()).toEqual([]);
    expect(s.output.get(37)).toBe(chunk(37));
    s.output.acknowledge(60);
    expect(() => s.output.get(60)).toThrow(RangeError);
    expect(s.output.get(61)).toBe(chunk(61));
    s.output.acknowledge(100);
    expect(s.budget.usedBytes).toBe(0);
  });

  it('spills past the memory limit, reads back every chunk in order, and deletes files once acknowledged', () => {
    using s = setup(500, 2048);
    for (let n = 1; n <= 300; n++) s.output.append(chunk(n));
    expect(s.budget.usedBytes).toBeLessThanOrEqual(500);
    expect(s.output.heldBytes.disk).toBeGreaterThan(0);
    const spoolFiles = s.files();
    expect(spoolFiles.length).toBeGreaterThan(1); // segments rotate at 2 KB
    for (let n = 1; n <= 300; n++) expect(s.output.get(n)).toBe(chunk(n));

    s.output.acknowledge(150);
    const remaining = s.files();
    expect(remaining.length).toBeLessThan(spoolFiles.length);
    for (let n = 151; n <= 300; n++) expect(s.output.get(n)).toBe(chunk(n));

    s.output.acknowledge(300);
    expect(s.files()).toEqual([]);
    expect(s.budget.usedBytes).toBe(0);
  });

  it('goes back to memory when acknowledgements free the budget, keeping order across places', () => {
    using s = setup(300, 100_000);
    for (let n = 1; n <= 20; n++) s.output.append(chunk(n));
    s.output.acknowledge(20); // everything acknowledged: memory and spool freed
    expect(s.files()).toEqual([]);
    for (let n = 21; n <= 40; n++) s.output.append(chunk(n));
    for (let n = 21; n <= 40; n++) expect(s.output.get(n)).toBe(chunk(n));
    expect(s.output.lastSequence).toBe(40);
  });

  it('numbers nothing when a chunk can be stored neither in memory nor on disk', () => {
    using s = setup(10, 16);
    s.output.append(chunk(1)); // too big for memory: spilled, and it fills its 16-byte spool segment
    s.spool.remove(); // the spool directory goes away behind the agent's back
    expect(() => s.output.append(chunk(2))).toThrow(/ENOENT/);
    expect(s.output.lastSequence).toBe(1);
    expect(s.output.get(1)).toBe(chunk(1)); // what was stored is still readable
  });

  it('dispose removes spool files and returns the memory', () => {
    using s = setup(100);
    for (let n = 1; n <= 50; n++) s.output.append(chunk(n));
    s.output.dispose();
    expect(s.files()).toEqual([]);
    expect(s.budget.usedBytes).toBe(0);
  });
});
