// @ts-check
// Starts a baseline relay child ('ws' or 'sio') and says where its endpoints are.
import { startChild } from './proc.js';

/** @typedef {'ws' | 'sio'} RelayKind */
/** @typedef {Awaited<ReturnType<typeof startRelay>>} Relay */

/**
 * @param {RelayKind} kind
 * @param {{ pace?: boolean, cork?: boolean }} [options]
 */
export async function startRelay(kind, { pace = true, cork = false } = {}) {
  const args = [JSON.stringify({ pace, cork })];
  // Two children with the same built-in methods and an `info` each: one type for both.
  /** @type {import('./proc.js').Child<import('../children/ws-relay.js').Methods | import('../children/sio-relay.js').Methods>} */
  const relay = kind === 'ws' ? startChild('ws-relay', { args, label: `${kind}-relay` }) : startChild('sio-relay', { args, label: `${kind}-relay` });
  await relay.ready;
  const info = await relay.call('info');
  const base = 'wsUrl' in info ? info.wsUrl : info.url;
  return Object.assign(relay, {
    kind,
    /** Where producers, agents and drivers connect (the role is in the path or the query). */
    base,
    /** Where a dashboard (consumer) connects. */
    consumerUrl: kind === 'ws' ? `${base}/consumer` : base,
  });
}

/** @type {RelayKind[]} */
export const RELAYS = ['ws', 'sio'];
export const RELAY_NAMES = { ws: 'ws relay', sio: 'Socket.IO relay' };
