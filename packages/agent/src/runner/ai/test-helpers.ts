import { readFileSync } from 'node:fs';
import type { TokenUsage, TraceEvent } from '@onsembl/protocol';
import type { RunVerdict } from '../runner.js';
import { AiRun, type AiRunOptions } from './ai-run.js';
import type { ProcessExit, StreamFormat } from './types.js';

/** The captured streams, shared with the stand-in CLIs (test/fixtures/ai-cli). */
export const STREAMS = new URL('../../../../../test/fixtures/ai-cli/streams/', import.meta.url);

export function stream(name: string): Buffer {
  return readFileSync(new URL(name, STREAMS));
}

export interface Replay {
  run: AiRun;
  events: TraceEvent[];
  text: () => string;
  overBudget: string[];
  end(exit?: Partial<ProcessExit>, wallMs?: number): RunVerdict;
}

/** An AiRun whose output is collected; feed it with `run.stdout(...)`. */
export function startRun(format: StreamFormat, options: Partial<AiRunOptions> = {}): Replay {
  const events: TraceEvent[] = [];
  const texts: string[] = [];
  const overBudget: string[] = [];
  const run = new AiRun(
    { format, cliName: format, budget: {}, threadTotals: new Map<string, TokenUsage>(), now: () => 1_767_225_600_000, ...options },
    { trace: (e) => events.push(e), text: (t) => texts.push(t), overBudget: (r) => overBudget.push(r) },
  );
  return {
    run,
    events,
    text: () => texts.join(''),
    overBudget,
    end: (exit = {}, wallMs = 1234) => run.end({ exitCode: 0, signal: null, ...exit }, wallMs),
  };
}

/** Feeds `data` in pieces of `size` bytes (1 = byte by byte), as reads of a pipe come. */
export function feed(replay: Replay, data: Buffer, size = 4096): void {
  for (let i = 0; i < data.length; i += size) replay.run.stdout(data.subarray(i, i + size));
}

export const kinds = (events: TraceEvent[]) => events.map((e) => e.kind);
export const ofKind = <K extends TraceEvent['kind']>(events: TraceEvent[], kind: K) =>
  events.filter((e): e is Extract<TraceEvent, { kind: K }> => e.kind === kind);
/** Terminal text without colour codes. */
export const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');
