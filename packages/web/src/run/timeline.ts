import type { TraceEvent, TraceEventOf } from '@onsembl/protocol';

/** A tool call with what became of it: its approval, its result, the files it changed. */
export interface ToolEntry {
  type: 'tool';
  sequence: number;
  call: TraceEventOf<'tool_call'>;
  approval: ApprovalEntry | null;
  result: TraceEventOf<'tool_result'> | null;
  files: TraceEventOf<'file_change'>[];
}

export interface ApprovalEntry {
  type: 'approval';
  sequence: number;
  request: TraceEventOf<'approval_request'>;
  decision: TraceEventOf<'approval_decision'> | null;
}

export type TimelineEntry =
  | { type: 'session'; sequence: number; event: TraceEventOf<'session'> }
  | { type: 'message'; sequence: number; text: string; at: number }
  | { type: 'thinking'; sequence: number; text: string; at: number }
  | ToolEntry
  | ApprovalEntry
  | { type: 'file'; sequence: number; event: TraceEventOf<'file_change'> }
  | { type: 'result'; sequence: number; event: TraceEventOf<'result'> }
  | { type: 'notice'; sequence: number; event: TraceEventOf<'notice'> };

export interface Timeline {
  entries: TimelineEntry[];
  session: TraceEventOf<'session'> | null;
  /** The command's totals so far: its last usage event. */
  usage: TraceEventOf<'usage'> | null;
  result: TraceEventOf<'result'> | null;
}

/**
 * An AI run's trace events (in sequence order) as the run view's timeline: text split over several
 * events is joined, each tool call carries its approval, result and file changes, and the usage
 * events become the totals rather than entries.
 */
export function buildTimeline(events: ReadonlyArray<{ sequence: number; event: TraceEvent }>): Timeline {
  const entries: TimelineEntry[] = [];
  const tools = new Map<string, ToolEntry>();
  const approvals = new Map<string, ApprovalEntry>();
  let session: Timeline['session'] = null;
  let usage: Timeline['usage'] = null;
  let result: Timeline['result'] = null;
  for (const { sequence, event } of events) {
    const last = entries.at(-1);
    switch (event.kind) {
      case 'session':
        session ??= event;
        entries.push({ type: 'session', sequence, event });
        break;
      case 'message':
      case 'thinking':
        // Long text comes as several events of at most traceTextMaxChars: one entry again.
        if (last && last.type === event.kind) last.text += event.text;
        else entries.push({ type: event.kind, sequence, text: event.text, at: event.at });
        break;
      case 'tool_call': {
        const entry: ToolEntry = { type: 'tool', sequence, call: event, approval: null, result: null, files: [] };
        tools.set(event.toolId, entry);
        entries.push(entry);
        break;
      }
      case 'tool_result': {
        const tool = tools.get(event.toolId);
        if (tool) tool.result = event;
        break;
      }
      case 'file_change': {
        const tool = event.toolId === undefined ? undefined : tools.get(event.toolId);
        if (tool) tool.files.push(event);
        else entries.push({ type: 'file', sequence, event });
        break;
      }
      case 'approval_request': {
        const entry: ApprovalEntry = { type: 'approval', sequence, request: event, decision: null };
        approvals.set(event.approvalId, entry);
        const tool = event.toolId === undefined ? undefined : tools.get(event.toolId);
        if (tool) tool.approval = entry;
        else entries.push(entry);
        break;
      }
      case 'approval_decision': {
        const entry = approvals.get(event.approvalId);
        if (entry) entry.decision = event;
        break;
      }
      case 'usage':
        usage = event;
        break;
      case 'result':
        result = event;
        entries.push({ type: 'result', sequence, event });
        break;
      case 'notice':
        entries.push({ type: 'notice', sequence, event });
        break;
    }
  }
  return { entries, session, usage, result };
}
