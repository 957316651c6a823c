// @ts-check
// What every scenario gets: the run mode, a logger, profile settings and shared data.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const started = Date.now();

/** @typedef {import('./fanout-runs.js').Measurement} Measurement */
/** @typedef {import('./fanout-runs.js').OnsemblMeasurement} OnsemblMeasurement */

/**
 * @typedef {object} Context
 * @property {boolean} quick
 * @property {(name: string) => { dir: string, name: string } | undefined} profile
 * @property {string} profileDir
 * @property {(name: string) => string[]} agentProfile
 * @property {(...args: unknown[]) => void} log
 * @property {string[] | undefined} frames
 * @property {import('./corpus.js').Corpus} corpus
 * @property {import('./config.js').Config} config
 * @property {Record<number, OnsemblMeasurement>} fanout  Onsembl's fan-out by dashboard count
 * @property {Record<number, { ws: Measurement, sio: Measurement }>} relayFanout  the relays' by dashboard count
 * @property {Record<number, ScaleFanout>} scaleFanout  the scale-out fan-out by dashboard count (scale-fanout, read by scale-store)
 */
/** @typedef {Partial<Record<import('./topology.js').TopologyKind, OnsemblMeasurement & { loadAverage: number }>>} ScaleFanout */

/**
 * @param {{ quick: boolean, profile: boolean, config: import('./config.js').Config, corpus: import('./corpus.js').Corpus }} options
 * @returns {Context}
 */
export function createContext({ quick, profile, config, corpus }) {
  const profileDir = fileURLToPath(new URL('../profiles', import.meta.url));
  if (profile) mkdirSync(profileDir, { recursive: true });
  return {
    quick,
    /** Pass to startOnsemblServer: a --cpu-prof file per run, named after it, when --profile is on. */
    profile: (name) => (profile ? { dir: profileDir, name } : undefined),
    profileDir,
    /** Node flags that profile an agent process too (its name gets an `agent-` prefix). */
    agentProfile: (name) => (profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=agent-${name}.cpuprofile`] : []),
    log: (...args) => console.log(`  ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s `, ...args),
    /** Frames captured from Onsembl's fan-out, replayed by the baselines ("the same bytes"). */
    frames: undefined,
    corpus,
    config,
    fanout: {},
    relayFanout: {},
    scaleFanout: {},
  };
}
