/** Distinct hues that read well on dark and light backgrounds. */
export const PALETTE = ['#4ea1ff', '#f5a524', '#3ccf91', '#e25c8a', '#a77bf3', '#2ec5d3', '#e8734a', '#9acd32', '#f06292', '#c0a062'] as const;

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0;
  return h;
}

/**
 * One colour per agent: each starts from a hash of its name (so it is the same on every dashboard
 * and after reloads), and agents whose hash collides move on to the next free colour, in name order.
 */
export function agentColors(agents: readonly { id: string; name: string }[]): Map<string, string> {
  const sorted = [...agents].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  const used = new Set<number>();
  const colors = new Map<string, string>();
  for (const agent of sorted) {
    let index = hash(agent.name) % PALETTE.length;
    while (used.has(index) && used.size < PALETTE.length) index = (index + 1) % PALETTE.length;
    used.add(index);
    colors.set(agent.id, PALETTE[index] ?? PALETTE[0]);
  }
  return colors;
}
