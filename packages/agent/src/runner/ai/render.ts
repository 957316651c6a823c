import type { TraceEvent, TraceEventOf, UsageTotals } from '@onsembl/protocol';
import { REASON_TEXT } from './classify.js';
import { toolSummary } from './trace-caps.js';
import { tokenSum } from './usage-meter.js';

const ESC = '\u001b[';
const style = {
  reset: `${ESC}0m`,
  bold: `${ESC}1m`,
  dim: `${ESC}2m`,
  italic: `${ESC}3m`,
  red: `${ESC}31m`,
  green: `${ESC}32m`,
  yellow: `${ESC}33m`,
  cyan: `${ESC}36m`,
  gray: `${ESC}90m`,
} as const;

/** Lines of a tool result shown in the terminal, and characters per line. */
const RESULT_LINES = 8;
const LINE_CHARS = 200;
const THINKING_LINES = 6;
const DIFF_LINES = 24;

const paint = (codes: string, text: string) => `${codes}${text}${style.reset}`;

/**
 * Text from a CLI made safe for a terminal: escape sequences and control characters out (a tool's
 * output could clear the screen or move the cursor in every dashboard), line ends as \n.
 */
export function cleanText(text: string): string {
  return text
    .replace(/\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-_]/g, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f\u009b]/g, '');
}

function cut(line: string, max = LINE_CHARS): string {
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

const crlf = (text: string) => text.replace(/\n/g, '\r\n');

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

const number = (n: number) => n.toLocaleString('en-US');

export function formatCost(usage: Pick<UsageTotals, 'costUsd' | 'costSource'>): string {
  if (usage.costUsd === null) return 'cost unknown';
  const usd = usage.costUsd < 1 ? usage.costUsd.toFixed(4) : usage.costUsd.toFixed(2);
  return usage.costSource === 'estimated' ? `~$${usd} (estimated)` : `$${usd}`;
}

export function formatTokens(usage: UsageTotals): string {
  const parts = [`${number(usage.inputTokens)} in`, `${number(usage.outputTokens)} out`];
  if (usage.cacheReadTokens > 0) parts.push(`${number(usage.cacheReadTokens)} cache read`);
  if (usage.cacheWriteTokens > 0) parts.push(`${number(usage.cacheWriteTokens)} cache write`);
  return `${number(tokenSum(usage))} tokens (${parts.join(', ')})`;
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * Turns a run's trace into terminal text (what xterm, history and the REST text view show):
 * assistant text as is, one line per tool call, tool results trimmed with a note of what was cut,
 * and a closing line. Tracks whether the cursor is at the start of a line, since assistant text
 * may arrive in pieces.
 */
export class TerminalRenderer {
  private atLineStart = true;

  /** Assistant text arriving in pieces (shown as it comes). */
  delta(text: string): string {
    const clean = cleanText(text);
    if (clean.length === 0) return '';
    this.atLineStart = clean.endsWith('\n');
    return crlf(clean);
  }

  event(event: TraceEvent): string {
    switch (event.kind) {
      case 'session':
        return this.block(paint(style.dim, this.sessionLine(event)));
      case 'message': {
        const text = cleanText(event.text).replace(/\n+$/, '');
        return text.length === 0 ? '' : this.block(text);
      }
      case 'thinking':
        return this.block(paint(style.dim + style.italic, this.clip(`✻ ${cleanText(event.text).trim()}`, THINKING_LINES)));
      case 'tool_call': {
        const gist = event.summary.startsWith(event.name) ? event.summary.slice(event.name.length) : ` ${event.summary}`;
        return this.block(`${paint(style.cyan + style.bold, `▸ ${event.name}`)}${cut(cleanText(gist), LINE_CHARS)}`);
      }
      case 'tool_result':
        return this.block(this.toolResult(event));
      case 'file_change':
        return this.block(this.fileChange(event));
      case 'notice': {
        const color = event.level === 'error' ? style.red : event.level === 'warn' ? style.yellow : style.dim;
        const mark = event.level === 'error' ? '✘' : event.level === 'warn' ? '!' : '·';
        return this.block(paint(color, this.clip(`${mark} ${cleanText(event.message)}`, 12)));
      }
      case 'approval_request': {
        const gist = toolSummary(event.tool, event.input);
        return this.block(paint(style.yellow + style.bold, `? ${cut(cleanText(gist), LINE_CHARS)}`) + paint(style.yellow, ' needs approval: waiting for an answer in Onsembl'));
      }
      case 'approval_decision':
        return this.block(this.decision(event));
      case 'usage':
      case 'result':
        return ''; // The closing line tells both.
    }
  }

  private decision(event: TraceEventOf<'approval_decision'>): string {
    if (event.decision === 'allow') return paint(style.green, `  ✔ allowed by ${cleanText(event.decidedBy)}`);
    const why =
      event.reason === 'timeout' ? ': nobody answered before the deadline'
      : event.reason === 'command_ended' ? ': the command ended'
      : event.reason === 'refused' ? `: the server refused the question${event.message ? ` (${cut(cleanText(event.message), 200)})` : ''}`
      : ` by ${cleanText(event.decidedBy)}${event.message ? `: ${cut(cleanText(event.message).replace(/\s*\n\s*/g, ' '), 300)}` : ''}`;
    return paint(style.red, `  ✘ denied${why}`);
  }

  /** The last line of a run: verdict, turns, tokens, cost, duration. */
  closing(result: TraceEventOf<'result'>, usage: UsageTotals, durationMs: number): string {
    const head = result.ok
      ? paint(style.green + style.bold, '✔ completed')
      : paint(style.red + style.bold, `✘ ${REASON_TEXT[result.reason]}`) +
        (result.message ? paint(style.red, `: ${cut(cleanText(result.message).replace(/\s*\n\s*/g, ' '), 300)}`) : '');
    const facts: string[] = [];
    if (result.turns !== undefined) facts.push(`${result.turns} turn${result.turns === 1 ? '' : 's'}`);
    facts.push(formatTokens(usage), formatCost(usage), formatDuration(durationMs));
    return this.block(`${head}${paint(style.gray, ` · ${facts.join(' · ')}`)}`);
  }

  /** Raw text (a line that was not JSON, the tail of stderr), dimmed. */
  plain(text: string): string {
    const clean = cleanText(text).replace(/\n+$/, '');
    return clean.length === 0 ? '' : this.block(paint(style.gray, clean));
  }

  private sessionLine(event: TraceEventOf<'session'>): string {
    const parts = [`● session ${event.sessionId}`];
    if (event.resumed) parts.push('resumed');
    if (event.model) parts.push(event.model);
    if (event.cwd) parts.push(event.cwd);
    return parts.join(' · ');
  }

  private toolResult(event: TraceEventOf<'tool_result'>): string {
    const text = cleanText(event.output).replace(/\n+$/, '');
    const lines = text.length === 0 ? [] : text.split('\n');
    const shown = lines.slice(0, RESULT_LINES);
    const color = event.ok ? style.dim : style.red;
    const out: string[] = [];
    if (shown.length === 0) out.push(paint(color, `  ⎿ ${event.ok ? '(no output)' : '(failed, no output)'}`));
    shown.forEach((line, index) => out.push(paint(color, `${index === 0 ? '  ⎿ ' : '    '}${cut(line)}`)));
    const moreLines = lines.length - shown.length;
    if (moreLines > 0 || event.truncated) {
      const shownBytes = Buffer.byteLength(shown.join('\n'), 'utf8');
      const hidden = Math.max(0, event.outputBytes - shownBytes);
      const what = moreLines > 0 ? `${number(moreLines)}${event.truncated ? '+' : ''} more lines, ` : '';
      out.push(paint(style.gray, `    … ${what}${formatBytes(hidden)} not shown of ${formatBytes(event.outputBytes)}`));
    }
    return out.join('\n');
  }

  private fileChange(event: TraceEventOf<'file_change'>): string {
    const out = [paint(style.yellow, `  ✎ ${event.change} ${cleanText(event.path)}`)];
    if (event.diff) {
      const lines = cleanText(event.diff).replace(/\n+$/, '').split('\n');
      for (const line of lines.slice(0, DIFF_LINES)) {
        const color = line.startsWith('+') ? style.green : line.startsWith('-') ? style.red : style.dim;
        out.push(paint(color, `    ${cut(line)}`));
      }
      if (lines.length > DIFF_LINES) out.push(paint(style.gray, `    … ${number(lines.length - DIFF_LINES)} more diff lines`));
    }
    return out.join('\n');
  }

  private clip(text: string, maxLines: number): string {
    const lines = text.split('\n');
    if (lines.length <= maxLines) return lines.map((l) => cut(l, 400)).join('\n');
    return [...lines.slice(0, maxLines).map((l) => cut(l, 400)), `… ${lines.length - maxLines} more lines`].join('\n');
  }

  /** A block starts on a fresh line and ends with one. */
  private block(text: string): string {
    const prefix = this.atLineStart ? '' : '\r\n';
    this.atLineStart = true;
    return `${prefix}${crlf(text)}\r\n`;
  }
}
