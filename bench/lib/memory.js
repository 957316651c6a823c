// @ts-check
// RSS of server processes sampled through a measurement: the first and last samples and the peak,
// per process, so a row can show that every node's memory stays bounded.

/** @typedef {import('./proc.js').Child<Record<never, never>>} AnyChild  any child: they all serve stats */
/** @typedef {{ rssStart: number | undefined, rssEnd: number | undefined, rssPeak: number }} RssFigures */
/** @typedef {RssFigures & { node: string }} NodeMemory */

/**
 * Samples a child's RSS every second until stop(): the first and last samples and the peak.
 * @param {AnyChild} child
 */
export function rssWatch(child) {
  /** @type {number[]} */
  const samples = [];
  const take = () => child.call('stats').then((s) => samples.push(s.rss), () => undefined);
  void take();
  const timer = setInterval(() => void take(), 1_000);
  return {
    /** @returns {Promise<RssFigures>} */
    async stop() {
      clearInterval(timer);
      await take();
      return { rssStart: samples[0], rssEnd: samples.at(-1), rssPeak: Math.max(...samples) };
    },
  };
}

/**
 * The same for several nodes at once, each under its name.
 * @param {Array<{ id: string, child: AnyChild }>} nodes
 */
export function nodesWatch(nodes) {
  const watches = nodes.map((n) => ({ node: n.id, watch: rssWatch(n.child) }));
  return {
    /** @returns {Promise<NodeMemory[]>} */
    stop: () => Promise.all(watches.map(async ({ node, watch }) => ({ node, ...(await watch.stop()) }))),
  };
}

const MB = 1024 * 1024;

/**
 * "a 80/95/90 MB, b …": every node's RSS at start, peak and end, for a row's notes.
 * @param {NodeMemory[]} nodes
 */
export const memoryNote = (nodes) => `RSS start/peak/end: ${nodes.map((n) => `${n.node} ${[n.rssStart, n.rssPeak, n.rssEnd].map((v) => (Number(v) / MB).toFixed(0)).join('/')} MB`).join(', ')}`;

/**
 * The highest peak over the nodes (MB).
 * @param {NodeMemory[]} nodes
 */
export const peakMB = (nodes) => Math.max(...nodes.map((n) => n.rssPeak)) / MB;
