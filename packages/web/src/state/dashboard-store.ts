import type { OnsemblClient } from '@onsembl/client';
import { CommandStatus, ErrorCode } from '@onsembl/protocol';
import { noticeFromServerError } from '../ui/notices.js';
import { initialState, reduce, type DashboardAction, type DashboardState } from './dashboard-state.js';

/**
 * The dashboard's state outside React: fed by the client's events through the pure reducer, read by
 * components with `useSyncExternalStore`.
 */
export class DashboardStore {
  #state: DashboardState;
  readonly #listeners = new Set<() => void>();
  readonly #unsubscribe: (() => void)[];

  constructor(client: OnsemblClient, now: () => number = Date.now) {
    this.#state = initialState(client.status);
    this.#unsubscribe = [
      client.on('state', (status) => this.dispatch({ type: 'connection', status })),
      client.on('agents', (agents) => this.dispatch({ type: 'agents', agents })),
      client.on('agent', (agent) => this.dispatch({ type: 'agent', agent })),
      client.on('status', (status) => {
        this.dispatch({ type: 'status', status, at: now() });
        if (status.status === CommandStatus.timeout) {
          this.dispatch({
            type: 'notice',
            notice: { key: `COMMAND_TIMEOUT:${status.commandId}`, tone: 'error', title: 'A command ran past its timeout and was stopped', detail: status.command ?? status.commandId },
          });
        }
      }),
      client.on('queue', (update) => this.dispatch({ type: 'queue', update })),
      client.on('reset', () => this.dispatch({ type: 'reset' })),
      client.on('emergency', (event) => this.dispatch({ type: 'emergency', event, at: now() })),
      // AUTH_FAILED has its own sign-in prompt; a toast would only repeat it.
      client.on('serverError', (error) => error.code !== ErrorCode.AUTH_FAILED && this.dispatch({ type: 'notice', notice: noticeFromServerError(error) })),
    ];
  }

  getState = (): DashboardState => this.#state;

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  dispatch(action: DashboardAction): void {
    const next = reduce(this.#state, action);
    if (next === this.#state) return;
    this.#state = next;
    for (const listener of this.#listeners) listener();
  }

  dispose(): void {
    for (const off of this.#unsubscribe) off();
    this.#listeners.clear();
  }
}
