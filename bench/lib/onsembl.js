// @ts-check
// Helpers to drive the real Onsembl pieces: the server child, real agent processes (the built CLI),
// and a short-lived controller dashboard that asks an agent to run a command.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { startChild } from './proc.js';

/** @type {string | undefined} */
let experiment;
/** @param {string | undefined} name */
export function setExperiment(name) {
  experiment = name;
}

const CLI = fileURLToPath(new URL('../../packages/cli/bin/onsembl.js', import.meta.url));
/** @type {Set<import('node:child_process').ChildProcess>} */
const agents = new Set();
process.on('exit', () => {
  for (const child of agents) child.kill('SIGKILL');
});

/** @typedef {Awaited<ReturnType<typeof startOnsemblServer>>} OnsemblServerChild */
/** @typedef {ReturnType<typeof spawnAgentProcess>} AgentProcess */

/**
 * The Onsembl server in its own process. `options` go to startServer (JSON only); with `scaleOut`
 * it is a node on PostgreSQL and Redis (see children/onsembl-server.js).
 * @param {Partial<import('@onsembl/server').ServerOptions> & { experiment?: string, scaleOut?: import('../children/onsembl-server.js').ScaleOut }} [options]
 * @param {{ profile?: { dir: string, name: string } }} [profiling]
 */
export async function startOnsemblServer(options = {}, { profile } = {}) {
  // --experiment=NAME (see experiments.js) applies to every Onsembl server of the run.
  if (experiment) options = { ...options, experiment };
  /** @type {string[]} */
  const nodeArgs = [];
  if (profile) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${profile.dir}`, `--cpu-prof-name=${profile.name}.cpuprofile`);
  const server = startChild('onsembl-server', { args: [JSON.stringify(options)], nodeArgs, label: 'onsembl-server' });
  await server.ready;
  const { wsUrl } = await server.call('info');
  return Object.assign(server, { wsUrl });
}

/**
 * One token from the server child (its `tokens` method hands out many in one call).
 * @param {OnsemblServerChild} server
 * @param {'agent' | 'dashboard'} role
 * @param {string} name
 */
export async function tokenFor(server, role, name) {
  const [token] = await server.call('tokens', { role, names: [name] });
  if (token === undefined) throw new Error(`no ${role} token for ${name}`);
  return token;
}

/**
 * A real agent process: `onsembl agent --url --name` with the token in $ONSEMBL_TOKEN, logs discarded unless it fails.
 * @param {string} wsUrl
 * @param {string} token
 * @param {string} name
 * @param {{ nodeArgs?: string[], args?: string[] }} [options]  `args`: more `onsembl agent` options (e.g. --type)
 */
export function spawnAgentProcess(wsUrl, token, name, { nodeArgs = [], args = [] } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'agent', '--url', wsUrl, '--name', name, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SHELL: '/bin/bash', ONSEMBL_TOKEN: token },
  });
  agents.add(child);
  let log = '';
  child.stderr.on('data', (d) => {
    log = (log + d.toString()).slice(-4000);
  });
  /** @type {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} */
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    agents.delete(child);
    resolve({ code, signal });
  }));
  return {
    child,
    pid: child.pid,
    log: () => log,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The fields of the messages runCommand reads (each only where its type has it).
 * @typedef {{ type: string, payload: { agents: Array<{ id: string, status: string }>, agent: { id: string, status: string }, requestId?: string, commandId: string, status: string, message: string } }} DashboardMessage
 */

/**
 * @param {string} type
 * @param {unknown} payload
 */
const envelope = (type, payload) => JSON.stringify({ version: '1.0.0', type, timestamp: Date.now(), payload });

/**
 * A dashboard that waits until `agentId` is online, asks it to run `command`, waits until the
 * command is running, and disconnects (so it is not one more dashboard in the measurement).
 * Resolves with the command id.
 * @param {string} wsUrl
 * @param {string} token
 * @param {string} agentId
 * @param {string} command
 * @param {number} [timeoutMs]
 * @returns {Promise<string>}
 */
export function runCommand(wsUrl, token, agentId, command, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsUrl}/ws/dashboard?token=${encodeURIComponent(token)}`, { perMessageDeflate: false });
    let requested = false;
    /** @type {string | undefined} */
    let commandId;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`agent ${agentId} did not start "${command}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const request = () => {
      if (requested) return;
      requested = true;
      ws.send(envelope('command:request', { agentId, command, priority: 'normal', requestId: 'bench' }));
    };
    ws.on('message', (data) => {
      const bytes = /** @type {Buffer} */ (data); // the default binaryType: always a Buffer
      const text = bytes.toString();
      if (text.length > 20_000) return;
      /** @type {DashboardMessage} */
      const m = JSON.parse(text);
      if (m.type === 'agent:list' && m.payload.agents.some((a) => a.id === agentId && a.status !== 'offline')) request();
      if (m.type === 'agent:status' && m.payload.agent.id === agentId && m.payload.agent.status !== 'offline') request();
      if (m.type === 'command:status' && m.payload.requestId === 'bench') commandId = m.payload.commandId;
      if (m.type === 'command:status' && m.payload.commandId === commandId && m.payload.status === 'running') {
        clearTimeout(timer);
        ws.close();
        resolve(/** @type {string} */ (commandId));
      }
      if (m.type === 'error') {
        clearTimeout(timer);
        ws.close();
        reject(new Error(`command request refused: ${m.payload.message}`));
      }
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
