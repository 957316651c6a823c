import type { TraceEventOf, UsageSum } from '@onsembl/protocol';
import { useMemo } from 'react';
import { useAgentUsage, useRunTrace } from '../../run/hooks.js';
import { buildTimeline, type ApprovalEntry, type TimelineEntry, type ToolEntry } from '../../run/timeline.js';
import type { Session } from '../../state/session.js';
import { shortId } from '../../terminal/lines.js';
import { formatBytes, formatClock, formatDuration } from '../../ui/format.js';
import { inputText } from '../../ui/tool-input.js';

interface Props {
  session: Session;
  commandId: string;
  agentId: string;
  /** Shown above the timeline (the live view names the command it follows). */
  title?: string;
  /** The command's final status, when it has one (re-reads the agent's totals). */
  finished?: string | null;
  /** Render nothing while the command has no trace (history of a shell command). */
  hideWhenEmpty?: boolean;
}

const number = (n: number) => n.toLocaleString('en-US');

function tokens(u: Pick<UsageSum, 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens'>): string {
  const total = u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens;
  const parts = [`${number(u.inputTokens)} in`, `${number(u.outputTokens)} out`];
  if (u.cacheReadTokens > 0) parts.push(`${number(u.cacheReadTokens)} cache read`);
  if (u.cacheWriteTokens > 0) parts.push(`${number(u.cacheWriteTokens)} cache write`);
  return `${number(total)} tokens (${parts.join(', ')})`;
}

function agentCost(u: UsageSum): string {
  const parts = [`$${u.costUsd < 1 ? u.costUsd.toFixed(4) : u.costUsd.toFixed(2)}`];
  if (u.estimatedCostUsd > 0) parts.push(`(~$${u.estimatedCostUsd.toFixed(4)} of it estimated)`);
  if (u.unpricedCommands > 0) parts.push(`+ ${u.unpricedCommands} run${u.unpricedCommands === 1 ? '' : 's'} of unknown cost`);
  return parts.join(' ');
}

function usd(value: number | null, estimated: boolean): string {
  if (value === null) return 'cost unknown';
  const text = `$${value < 1 ? value.toFixed(4) : value.toFixed(2)}`;
  return estimated ? `~${text} (estimated)` : text;
}

/**
 * The AI run view: a command's run as a timeline from its trace (messages, thinking, tool calls with
 * their input and output, approvals, file changes with their diff), the session it continues, and
 * the token and cost totals of the command and of its agent.
 */
export function RunView({ session, commandId, agentId, title, finished = null, hideWhenEmpty = false }: Props) {
  const trace = useRunTrace(session, commandId);
  const timeline = useMemo(() => buildTimeline(trace.events), [trace.events]);
  const agentUsage = useAgentUsage(session, agentId, `${commandId}:${finished ?? ''}`);
  if (hideWhenEmpty && trace.events.length === 0) return null;
  const { usage, session: run } = timeline;
  return (
    <section className="run-view" aria-label="AI run" data-testid="run-view" data-command-id={commandId} data-state={trace.loading ? 'loading' : 'loaded'}>
      <header className="run-head">
        <h2 className="section-title">Run</h2>
        {title && <code className="run-title" title={title}>{title}</code>}
      </header>
      <dl className="run-facts">
        <div>
          <dt>Session</dt>
          <dd data-testid="run-session">
            {run ? (
              <>
                {run.resumed ? 'continues' : 'new'} <code title={run.sessionId}>{shortId(run.sessionId)}</code>
                {run.model ? ` · ${run.model}` : ''}
              </>
            ) : (
              <span className="muted">not started</span>
            )}
          </dd>
        </div>
        <div>
          <dt>This run</dt>
          <dd data-testid="run-usage-command">{usage ? `${tokens(usage)} · ${usd(usage.costUsd, usage.costSource === 'estimated')}` : <span className="muted">no usage yet</span>}</dd>
        </div>
        <div>
          <dt>Agent total</dt>
          <dd data-testid="run-usage-agent">
            {agentUsage
              ? `${number(agentUsage.commands)} run${agentUsage.commands === 1 ? '' : 's'} · ${tokens(agentUsage)} · ${agentCost(agentUsage)}`
              : <span className="muted">…</span>}
          </dd>
        </div>
      </dl>
      {trace.error && (
        <p className="history-error" role="alert">
          Could not read the stored trace: {trace.error}
        </p>
      )}
      <ol className="run-timeline" data-testid="run-timeline">
        {timeline.entries.map((entry) => (
          <Entry key={entry.sequence} entry={entry} />
        ))}
        {timeline.entries.length === 0 && !trace.loading && <li className="muted">Nothing yet.</li>}
      </ol>
    </section>
  );
}

function Entry({ entry }: { entry: TimelineEntry }) {
  switch (entry.type) {
    case 'session':
      return (
        <li className="run-entry run-entry-session" data-testid="run-entry" data-kind="session">
          <span className="run-mark">●</span> {entry.event.resumed ? 'Continues session' : 'New session'} <code>{entry.event.sessionId}</code>
          {entry.event.model ? ` · ${entry.event.model}` : ''}
          {entry.event.cwd ? <span className="muted"> · {entry.event.cwd}</span> : null}
        </li>
      );
    case 'message':
      return (
        <li className="run-entry run-entry-message" data-testid="run-entry" data-kind="message">
          <p className="run-text">{entry.text}</p>
        </li>
      );
    case 'thinking':
      return (
        <li className="run-entry run-entry-thinking" data-testid="run-entry" data-kind="thinking">
          <details>
            <summary>✻ Thinking</summary>
            <p className="run-text">{entry.text}</p>
          </details>
        </li>
      );
    case 'tool':
      return <Tool entry={entry} />;
    case 'approval':
      return (
        <li className="run-entry" data-testid="run-entry" data-kind="approval">
          <Approval entry={entry} />
        </li>
      );
    case 'file':
      return (
        <li className="run-entry" data-testid="run-entry" data-kind="file_change">
          <FileChange event={entry.event} />
        </li>
      );
    case 'result': {
      const r = entry.event;
      const facts = [r.turns !== undefined ? `${r.turns} turn${r.turns === 1 ? '' : 's'}` : null, r.durationMs !== undefined ? formatDuration(r.durationMs) : null].filter(Boolean);
      return (
        <li className={`run-entry run-entry-result ${r.ok ? 'ok' : 'failed'}`} data-testid="run-entry" data-kind="result">
          <strong>{r.ok ? '✔ completed' : `✘ ${r.reason.replaceAll('_', ' ')}`}</strong>
          {r.message ? `: ${r.message}` : ''}
          {facts.length > 0 ? <span className="muted"> · {facts.join(' · ')}</span> : null}
        </li>
      );
    }
    case 'notice':
      return (
        <li className={`run-entry run-entry-notice level-${entry.event.level}`} data-testid="run-entry" data-kind="notice">
          {entry.event.level === 'error' ? '✘' : entry.event.level === 'warn' ? '!' : '·'} {entry.event.message}
        </li>
      );
  }
}

function Tool({ entry }: { entry: ToolEntry }) {
  const { call, result, approval, files } = entry;
  const waiting = approval !== null && approval.decision === null;
  const status = result ? (result.ok ? 'ok' : 'failed') : waiting ? 'waiting' : 'running';
  return (
    <li className={`run-entry run-entry-tool tool-${status}`} data-testid="run-entry" data-kind="tool_call" data-tool={call.name} data-status={status}>
      <div className="run-tool-head">
        <span className="run-mark">▸</span>
        <code className="run-tool-summary">{call.summary}</code>
        <span className="run-tool-status">{status === 'ok' ? '✔' : status === 'failed' ? '✘ failed' : status === 'waiting' ? 'waiting for approval' : '…'}</span>
        <span className="muted run-at">{formatClock(call.at)}</span>
      </div>
      {approval && <Approval entry={approval} />}
      <details className="run-io">
        <summary>Input{call.inputTruncated ? ' (cut)' : ''}</summary>
        <pre data-testid="run-tool-input">{inputText(call.input)}</pre>
      </details>
      {result && (
        <details className="run-io">
          <summary>
            Output{result.truncated ? ` (first ${formatBytes(new TextEncoder().encode(result.output).length)} of ${formatBytes(result.outputBytes)})` : ''}
          </summary>
          <pre data-testid="run-tool-output">{result.output || '(no output)'}</pre>
        </details>
      )}
      {files.map((file) => (
        <FileChange key={`${file.path}-${file.at}`} event={file} />
      ))}
    </li>
  );
}

function Approval({ entry }: { entry: ApprovalEntry }) {
  const d = entry.decision;
  const text = d === null
    ? 'asked for approval: waiting'
    : d.decision === 'allow'
      ? `allowed by ${d.decidedBy}`
      : d.reason === 'timeout'
        ? 'denied: nobody answered before the deadline'
        : d.reason === 'command_ended'
          ? 'denied: the command ended'
          : `denied by ${d.decidedBy}${d.message ? `: ${d.message}` : ''}`;
  return (
    <p className={`run-approval ${d === null ? 'waiting' : d.decision}`} data-testid="run-approval" data-decision={d?.decision ?? 'waiting'}>
      <span className="run-mark">{d === null ? '?' : d.decision === 'allow' ? '✔' : '✘'}</span> {entry.request.tool} {text}
    </p>
  );
}

function FileChange({ event }: { event: TraceEventOf<'file_change'> }) {
  const lines = event.diff?.replace(/\n$/, '').split('\n') ?? [];
  return (
    <div className="run-file" data-testid="run-file" data-path={event.path}>
      <span className="run-mark">✎</span> {event.change} <code>{event.path}</code>
      {lines.length > 0 && (
        <details className="run-io" open={lines.length <= 12}>
          <summary>Diff ({lines.length} lines)</summary>
          <pre className="run-diff" data-testid="run-diff">
            {lines.map((line, i) => (
              <span key={i} className={line.startsWith('+') && !line.startsWith('+++') ? 'add' : line.startsWith('-') && !line.startsWith('---') ? 'del' : line.startsWith('@@') ? 'hunk' : undefined}>
                {line}
                {'\n'}
              </span>
            ))}
          </pre>
        </details>
      )}
    </div>
  );
}
