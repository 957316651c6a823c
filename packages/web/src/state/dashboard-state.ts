import type {
  AgentInfo, CommandStatusPayload, ConnectionStatus, EmergencyStopEvent, HistoryCommand, QueueEntry, QueueUpdate,
} from '@onsembl/client';
import { FINAL_COMMAND_STATUSES } from '@onsembl/protocol';

/** What the dashboard knows about one command, merged from every `command:status` it saw. */
export interface CommandView {
  commandId: string;
  agentId: string;
  command: string | null;
  priority: QueueEntry['priority'] | null;
  status: CommandStatusPayload['status'];
  exitCode: number | null;
  signal: string | null;
  durationMs: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  requestedBy: string | null;
  message: string | null;
  /** When the server queued it, when known. */
  queuedAt: number | null;
  /** When this dashboard first heard of it (orders the history), or its queuedAt when it came from the store. */
  seenAt: number;
  /** Running and blocked reading its terminal: a prompt waits for an answer. */
  waitingForInput: boolean;
}

export interface Notice {
  id: number;
  /** Same key, same notice: a repeat replaces the older one instead of stacking. */
  key: string;
  tone: 'error' | 'info';
  title: string;
  detail: string;
}

export interface EmergencyNotice extends EmergencyStopEvent {
  at: number;
}

export interface DashboardState {
  connection: ConnectionStatus;
  agents: readonly AgentInfo[];
  queues: Readonly<Record<string, readonly QueueEntry[]>>;
  commands: Readonly<Record<string, CommandView>>;
  /** Command ids, most recently seen first, bounded by HISTORY_LIMIT. */
  recent: readonly string[];
  emergency: EmergencyNotice | null;
  notices: readonly Notice[];
}

export type DashboardAction =
  | { type: 'connection'; status: ConnectionStatus }
  | { type: 'agents'; agents: readonly AgentInfo[] }
  | { type: 'agent'; agent: AgentInfo }
  | { type: 'status'; status: CommandStatusPayload; at: number }
  | { type: 'queue'; update: QueueUpdate }
  /** Finished commands from the history API, after a fresh start. */
  | { type: 'seed'; commands: readonly HistoryCommand[] }
  | { type: 'reset' }
  | { type: 'emergency'; event: EmergencyStopEvent; at: number }
  | { type: 'dismiss-emergency' }
  | { type: 'notice'; notice: Omit<Notice, 'id'> }
  | { type: 'dismiss'; id: number };

export const HISTORY_LIMIT = 200;
const NOTICE_LIMIT = 5;
let nextNoticeId = 1;

export function initialState(connection: ConnectionStatus): DashboardState {
  return { connection, agents: [], queues: {}, commands: {}, recent: [], emergency: null, notices: [] };
}

export function reduce(state: DashboardState, action: DashboardAction): DashboardState {
  switch (action.type) {
    case 'connection':
      return { ...state, connection: action.status };
    case 'agents':
      return { ...state, agents: [...action.agents] };
    case 'agent': {
      const exists = state.agents.some((a) => a.id === action.agent.id);
      const agents = exists ? state.agents.map((a) => (a.id === action.agent.id ? action.agent : a)) : [...state.agents, action.agent];
      return { ...state, agents };
    }
    case 'status':
      return applyStatus(state, action.status, action.at);
    case 'queue':
      return { ...state, queues: { ...state.queues, [action.update.agentId]: action.update.queue } };
    case 'seed':
      return seed(state, action.commands);
    case 'reset':
      // The server could not replay what we missed: queues and live statuses come again from the
      // fresh agent:list and command:queue; finished history stays (it cannot change any more).
      return dropLive(state);
    case 'emergency':
      return { ...state, emergency: { ...action.event, at: action.at } };
    case 'dismiss-emergency':
      return { ...state, emergency: null };
    case 'notice': {
      const notice = { ...action.notice, id: nextNoticeId++ };
      const others = state.notices.filter((n) => n.key !== notice.key);
      return { ...state, notices: [...others, notice].slice(-NOTICE_LIMIT) };
    }
    case 'dismiss':
      return { ...state, notices: state.notices.filter((n) => n.id !== action.id) };
  }
}

function applyStatus(state: DashboardState, status: CommandStatusPayload, at: number): DashboardState {
  const before = state.commands[status.commandId];
  const view: CommandView = {
    commandId: status.commandId,
    agentId: status.agentId,
    command: status.command ?? before?.command ?? null,
    priority: status.priority ?? before?.priority ?? null,
    status: status.status,
    exitCode: status.exitCode ?? before?.exitCode ?? null,
    signal: status.signal ?? before?.signal ?? null,
    durationMs: status.durationMs ?? before?.durationMs ?? null,
    startedAt: status.startedAt ?? before?.startedAt ?? (status.status === 'running' ? at : null),
    finishedAt: status.finishedAt ?? before?.finishedAt ?? null,
    requestedBy: status.requestedBy ?? before?.requestedBy ?? null,
    message: status.message ?? before?.message ?? null,
    queuedAt: status.queuedAt ?? before?.queuedAt ?? null,
    seenAt: before?.seenAt ?? at,
    waitingForInput: status.status === 'running' && (status.waitingForInput ?? before?.waitingForInput ?? false),
  };
  const commands = { ...state.commands, [view.commandId]: view };
  let recent = state.recent;
  if (!before) {
    recent = [view.commandId, ...state.recent];
    for (const dropped of recent.slice(HISTORY_LIMIT)) delete commands[dropped];
    recent = recent.slice(0, HISTORY_LIMIT);
  }
  return { ...state, commands, recent };
}

/**
 * Adds stored commands this dashboard does not know yet (what it knows live is newer) and orders
 * the history by when commands were queued.
 */
function seed(state: DashboardState, records: readonly HistoryCommand[]): DashboardState {
  const commands: Record<string, CommandView> = { ...state.commands };
  let added = false;
  for (const r of records) {
    if (commands[r.id]) continue;
    added = true;
    commands[r.id] = {
      commandId: r.id, agentId: r.agentId, command: r.command, priority: r.priority, status: r.status,
      exitCode: r.exitCode ?? null, signal: r.signal ?? null, durationMs: r.durationMs ?? null, startedAt: r.startedAt ?? null,
      finishedAt: r.finishedAt ?? null, requestedBy: r.requestedBy, message: r.message ?? null, queuedAt: r.queuedAt, seenAt: r.queuedAt,
      waitingForInput: false,
    };
  }
  if (!added) return state;
  const order = (id: string) => commands[id]?.queuedAt ?? commands[id]?.seenAt ?? 0;
  const ids = [...new Set([...state.recent, ...records.map((r) => r.id)])].sort((a, b) => order(b) - order(a));
  for (const dropped of ids.slice(HISTORY_LIMIT)) delete commands[dropped];
  return { ...state, commands, recent: ids.slice(0, HISTORY_LIMIT) };
}

function dropLive(state: DashboardState): DashboardState {
  const commands: Record<string, CommandView> = {};
  for (const [id, view] of Object.entries(state.commands)) if (FINAL_COMMAND_STATUSES.has(view.status)) commands[id] = view;
  return { ...state, queues: {}, commands, recent: state.recent.filter((id) => id in commands) };
}

// ----- selectors -----

/** The command an agent is running: the newest `running` one we know, else the agent's own report. */
export function runningCommand(state: DashboardState, agentId: string): CommandView | null {
  for (const id of state.recent) {
    const view = state.commands[id];
    if (view && view.agentId === agentId && view.status === 'running') return view;
  }
  // After a reset we may know only the agent's own report of what it runs.
  const current = state.agents.find((a) => a.id === agentId)?.currentCommandId;
  if (!current) return null;
  if (state.commands[current]) return null; // known, and not running (the loop above would have found it)
  return {
    commandId: current, agentId, command: null, priority: null, status: 'running', exitCode: null, signal: null,
    durationMs: null, startedAt: null, finishedAt: null, requestedBy: null, message: null, queuedAt: null, seenAt: 0,
    waitingForInput: false,
  };
}

/** Finished and running commands of one agent, newest first. */
export function historyOf(state: DashboardState, agentId: string): CommandView[] {
  const rows: CommandView[] = [];
  for (const id of state.recent) {
    const view = state.commands[id];
    if (view && view.agentId === agentId && view.status !== 'queued') rows.push(view);
  }
  return rows;
}

export function queueOf(state: DashboardState, agentId: string): readonly QueueEntry[] {
  return [...(state.queues[agentId] ?? [])].sort((a, b) => a.position - b.position);
}
