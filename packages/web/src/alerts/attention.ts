import type { CommandStatusPayload, ConnectionStatus, OnsemblClient } from '@onsembl/client';
import { CommandStatus } from '@onsembl/protocol';

/** What calls for the user's attention while they look elsewhere. */
export type AttentionKind = 'finished' | 'failed' | 'approval' | 'connection';

export interface Attention {
  kind: AttentionKind;
  title: string;
  body: string;
  /** Events of one tag replace each other in the system's notification list. */
  tag: string;
}

/** The browser parts the attention keeper uses, so tests can drive it without a browser. */
export interface AttentionPlatform {
  /** The page is not in front of the user (hidden tab, or another window has focus). */
  away(): boolean;
  setTitle(title: string): void;
  /** Shows a system notification; only called when the user turned them on and permission is granted. */
  notify(attention: Attention): void;
  notificationsAllowed(): boolean;
}

const BASE_TITLE = 'Onsembl';
const ATTENTION_STATUS: ReadonlySet<string> = new Set([CommandStatus.completed, CommandStatus.failed, CommandStatus.timeout]);

/**
 * Counts what happened while the user was away (commands that finished or failed, approvals that
 * wait, a lost connection), shows the count in the tab title, and, when the user turned them on,
 * as browser notifications. Coming back to the page clears the count. A cancelled command is left
 * out: somebody chose it.
 */
export class AttentionKeeper {
  #unseen = 0;
  #waitingApprovals = 0;
  #connected = false;
  #stateTitle = '';
  #enabled: boolean;

  constructor(private readonly platform: AttentionPlatform, enabled: boolean) {
    this.#enabled = enabled;
  }

  get unseen(): number {
    return this.#unseen;
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  setEnabled(enabled: boolean): void {
    this.#enabled = enabled;
  }

  commandStatus(status: CommandStatusPayload, agentName: string): void {
    if (!ATTENTION_STATUS.has(status.status)) return;
    const ok = status.status === CommandStatus.completed;
    const what = status.command ? `"${status.command.length > 60 ? `${status.command.slice(0, 59)}…` : status.command}"` : status.commandId;
    const exit = status.exitCode !== undefined && status.exitCode !== null ? ` (exit ${status.exitCode})` : '';
    this.#raise({
      kind: ok ? 'finished' : 'failed',
      title: ok ? `Finished on ${agentName}` : status.status === CommandStatus.timeout ? `Timed out on ${agentName}` : `Failed on ${agentName}`,
      body: `${what}${exit}${status.message ? `: ${status.message}` : ''}`,
      tag: `command:${status.commandId}`,
    });
  }

  /** An approval waits for an answer (counted until `approvalSettled`). */
  approvalWaiting(id: string, agentName: string, tool: string): void {
    this.#waitingApprovals++;
    this.#raise({ kind: 'approval', title: `${agentName} asks for approval`, body: `${tool}: allow or deny in Onsembl`, tag: `approval:${id}` });
  }

  approvalSettled(): void {
    this.#waitingApprovals = Math.max(0, this.#waitingApprovals - 1);
    this.#render();
  }

  connection(status: ConnectionStatus): void {
    this.#stateTitle = status.state === 'CONNECTED' ? '' : status.state.toLowerCase();
    if (status.state === 'CONNECTED') this.#connected = true;
    else if (this.#connected) {
      // Once per outage: the reconnect attempts that follow are not news.
      this.#connected = false;
      this.#raise({ kind: 'connection', title: 'Onsembl lost its connection', body: status.lastError ?? 'reconnecting', tag: 'connection' });
      return;
    }
    this.#render();
  }

  /** The user is looking again. */
  back(): void {
    if (this.#unseen === 0) return;
    this.#unseen = 0;
    this.#render();
  }

  #raise(attention: Attention): void {
    if (this.platform.away()) {
      this.#unseen++;
      if (this.#enabled && this.platform.notificationsAllowed()) this.platform.notify(attention);
    }
    this.#render();
  }

  #render(): void {
    const badge = this.#unseen > 0 ? `(${this.#unseen}) ` : '';
    const approvals = this.#waitingApprovals > 0 ? `${this.#waitingApprovals} approval${this.#waitingApprovals === 1 ? '' : 's'} waiting · ` : '';
    const state = this.#stateTitle ? ` · ${this.#stateTitle}` : '';
    this.platform.setTitle(`${badge}${approvals}${BASE_TITLE}${state}`);
  }
}

const ENABLED_KEY = 'onsembl.notifications';

export function notificationsWanted(storage: Storage | undefined = globalThis.localStorage): boolean {
  try {
    return storage?.getItem(ENABLED_KEY) === 'on';
  } catch {
    return false;
  }
}

export function rememberNotifications(on: boolean, storage: Storage | undefined = globalThis.localStorage): void {
  try {
    storage?.setItem(ENABLED_KEY, on ? 'on' : 'off');
  } catch {
    // Not remembered; it still applies to this page.
  }
}

/** The keeper wired to this page and the client's events; returns the keeper and its unsubscribe. */
export function watchAttention(client: OnsemblClient, agentName: (agentId: string) => string): { keeper: AttentionKeeper; stop: () => void } {
  const platform: AttentionPlatform = {
    away: () => document.visibilityState !== 'visible' || !document.hasFocus(),
    setTitle: (title) => {
      document.title = title;
    },
    notificationsAllowed: () => typeof Notification !== 'undefined' && Notification.permission === 'granted',
    notify: (a) => {
      const note = new Notification(a.title, { body: a.body, tag: a.tag });
      note.onclick = () => {
        window.focus();
        note.close();
      };
    },
  };
  const keeper = new AttentionKeeper(platform, notificationsWanted());
  const back = () => {
    if (!platform.away()) keeper.back();
  };
  const offs = [
    client.on('status', (status) => keeper.commandStatus(status, agentName(status.agentId))),
    client.on('state', (status) => keeper.connection(status)),
  ];
  document.addEventListener('visibilitychange', back);
  window.addEventListener('focus', back);
  return {
    keeper,
    stop: () => {
      for (const off of offs) off();
      document.removeEventListener('visibilitychange', back);
      window.removeEventListener('focus', back);
    },
  };
}
