// @ts-check
// Rows of the scale-out scenarios: the three-node figure in the Onsembl column, beside the same
// measurement on the embedded single node (SQLite, in the baseline column) and on one node on
// PostgreSQL and Redis (the peer column), all taken in the same run. Memory rows show each
// topology's highest node RSS, with every node's start/peak/end in the notes.
import { loadavg } from 'node:os';
import { memoryNote, peakMB } from './memory.js';
import { finish } from './report.js';
import { TOPOLOGY_LABELS } from './topology.js';

/** @typedef {import('./topology.js').TopologyKind} TopologyKind */
/** @typedef {import('./memory.js').NodeMemory} NodeMemory */

/** Says what the columns hold, since the table's headings name the relays. */
export const COLUMNS_NOTE = `columns: Onsembl = ${TOPOLOGY_LABELS.cluster}, ws relay = ${TOPOLOGY_LABELS.sqlite}, Socket.IO = ${TOPOLOGY_LABELS.pg}`;

/**
 * A measurement with the machine's 1-minute load average at its end (the machine is shared: a
 * figure taken under load is noise, and the docs say which).
 * @template M
 * @param {Promise<M>} measuring
 * @returns {Promise<M & { loadAverage: number }>}
 */
export async function withLoad(measuring) {
  const m = await measuring;
  return { ...m, loadAverage: Number(loadavg()[0]) };
}

/**
 * "load sqlite 1.2, cluster 1.9": the load average at the end of each topology's measurement.
 * @param {Partial<Record<TopologyKind, { loadAverage: number }>>} byTopology
 */
export const loadNote = (byTopology) => `load average ${Object.entries(byTopology).map(([kind, m]) => `${kind} ${m.loadAverage.toFixed(2)}`).join(', ')}`;

/**
 * Every topology's node memory in one note ("cluster: a 80/95/90 MB, …").
 * @param {Partial<Record<TopologyKind, { nodes: NodeMemory[] }>>} byTopology
 */
const memoryNotes = (byTopology) => Object.entries(byTopology)
  .map(([kind, m]) => `${kind} ${memoryNote(m.nodes)}`).join('; ');

/**
 * The memory row of one measurement: the highest node peak of each topology.
 * @param {string} key
 * @param {string} what
 * @param {Partial<Record<TopologyKind, { nodes: NodeMemory[], server?: { cpu?: number } }>>} byTopology
 */
export function memoryRow(key, what, byTopology) {
  const peak = (/** @type {TopologyKind} */ kind) => {
    const m = byTopology[kind];
    return m ? peakMB(m.nodes) : undefined;
  };
  return finish({
    key,
    title: `Peak RSS of the busiest node, ${what}`,
    unit: 'MB',
    better: 'lower',
    digits: 0,
    value: peak('cluster'),
    baseline: peak('sqlite'),
    peer: peak('pg'),
    extra: Object.fromEntries(Object.entries(byTopology).map(([kind, m]) => [kind, m.nodes])),
    notes: memoryNotes(byTopology),
  });
}
