// @ts-check
// Experiments: what a configuration change elsewhere in the server would do, measured without
// editing it. Each one adjusts the options the server's WebSocketServer reads at every upgrade
// (ws reads `options.perMessageDeflate` per connection), so it models a one-line change in
// packages/server/src/transport/endpoints.ts. Loaded into the server child before it starts.
//   no-deflate           perMessageDeflate: false: nothing is compressed, in either direction
//   no-context-takeover  server_ and client_no_context_takeover: ws then applies each side's
//                        threshold itself, so the agent (whose own threshold ws ignored under
//                        context takeover) stops compressing its small messages
//   threshold-16k        no-context-takeover, and a server threshold above a full output chunk's
//                        envelope: dashboards get output uncompressed (the agent still compresses it)
import { WebSocketServer } from 'ws';

/** @typedef {import('ws').ServerOptions['perMessageDeflate']} DeflateOption */
/** @typedef {Exclude<DeflateOption, boolean | undefined>} DeflateOptions */

/** @type {Record<string, (current: DeflateOption) => DeflateOption>} */
const EXPERIMENTS = {
  'no-deflate': () => false,
  'no-context-takeover': (current) => ({ .../** @type {DeflateOptions} */ (current), serverNoContextTakeover: true, clientNoContextTakeover: true }),
  'threshold-16k': (current) => ({ .../** @type {DeflateOptions} */ (current), serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 16 * 1024 }),
};

export const EXPERIMENT_NAMES = Object.keys(EXPERIMENTS);

/** @param {string} name */
export function applyExperiment(name) {
  const change = EXPERIMENTS[name];
  if (!change) throw new Error(`unknown experiment "${name}"; known: ${EXPERIMENT_NAMES.join(', ')}`);
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the server as `this`
  const handleUpgrade = WebSocketServer.prototype.handleUpgrade;
  /** @type {WeakSet<WebSocketServer>} */
  const patched = new WeakSet();
  /** @type {WebSocketServer['handleUpgrade']} */
  WebSocketServer.prototype.handleUpgrade = function (...args) {
    if (!patched.has(this)) {
      patched.add(this);
      const { options } = /** @type {WebSocketServer & { options: import('ws').ServerOptions }} */ (this);
      options.perMessageDeflate = change(options.perMessageDeflate);
    }
    return handleUpgrade.apply(this, args);
  };
}
