// Starts a baseline relay child ('ws' or 'sio') and says where its endpoints are.
import { startChild } from './proc.js';

export async function startRelay(kind, { pace = true, cork = false } = {}) {
  const relay = startChild(kind === 'ws' ? 'ws-relay' : 'sio-relay', { args: [JSON.stringify({ pace, cork })], label: `${kind}-relay` });
  await relay.ready;
  const info = await relay.call('info');
  const base = kind === 'ws' ? info.wsUrl : info.url;
  return Object.assign(relay, {
    kind,
    /** Where producers, agents and drivers connect (the role is in the path or the query). */
    base,
    /** Where a dashboard (consumer) connects. */
    consumerUrl: kind === 'ws' ? `${base}/consumer` : base,
  });
}

export const RELAYS = ['ws', 'sio'];
export const RELAY_NAMES = { ws: 'ws relay', sio: 'Socket.IO relay' };
