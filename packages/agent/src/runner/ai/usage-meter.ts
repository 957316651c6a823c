import { estimateCostUsd, type CostSource, type StopReason, type TokenUsage, type UsageTotals } from '@onsembl/protocol';
import type { UsageUpdate } from './types.js';

export interface Budget {
  maxTokens?: number | undefined;
  maxCostUsd?: number | undefined;
}

export const ZERO_TOKENS: TokenUsage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };

export function addTokens(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
  };
}

/** Every token the run made the model process: what `maxTokens` is compared with. */
export function tokenSum(t: TokenUsage): number {
  return t.inputTokens + t.outputTokens + t.cacheReadTokens + t.cacheWriteTokens;
}

/** A count the CLI gave, made a safe non-negative integer (missing, negative or garbage = 0). */
export function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.min(Math.round(value), Number.MAX_SAFE_INTEGER) : 0;
}

export type MeterTotals = UsageTotals & { model?: string };

/**
 * The token and cost totals of one command, from whatever the CLI reports as it goes, and whether
 * they passed the command's budget.
 */
export class UsageMeter {
  /** Each model call's latest figures and their estimated cost (null: unknown model). */
  private readonly calls = new Map<string, { tokens: TokenUsage; cost: number | null }>();
  /** Sums over `calls`, kept as calls change (a long run has thousands). */
  private callTokens: TokenUsage = ZERO_TOKENS;
  private callCost = 0;
  private unpricedCalls = 0;
  private lastCallModel: string | undefined;
  private final: Extract<UsageUpdate, { mode: 'final' }> | undefined;
  private current: MeterTotals;

  constructor(
    private readonly budget: Budget,
    private readonly askedModel: string | undefined,
  ) {
    this.current = { ...ZERO_TOKENS, costUsd: 0, costSource: 'estimated' };
  }

  get totals(): MeterTotals {
    return this.current;
  }

  /** Applies an update; true when the totals changed. */
  update(update: UsageUpdate): boolean {
    if (update.mode === 'call') {
      // A later line of the same call replaces its figures: Claude repeats one snapshot per content block.
      const before = this.calls.get(update.callId);
      if (before && sameTokens(before.tokens, update.tokens)) return false;
      if (before) this.removeCall(before);
      const model = update.model ?? this.askedModel;
      const cost = tokenSum(update.tokens) === 0 ? 0 : estimateCostUsd(model, update.tokens);
      const call = { tokens: update.tokens, cost };
      this.calls.set(update.callId, call);
      this.callTokens = addTokens(this.callTokens, call.tokens);
      if (cost === null) this.unpricedCalls++;
      else this.callCost += cost;
      if (update.model) this.lastCallModel = update.model;
    } else {
      this.final = update;
    }
    const next = this.compute();
    if (sameTotals(next, this.current)) return false;
    this.current = next;
    return true;
  }

  /** The budget the totals passed, if any. */
  exceeded(): Extract<StopReason, 'budget_tokens' | 'budget_cost'> | undefined {
    const { maxTokens, maxCostUsd } = this.budget;
    if (maxTokens !== undefined && tokenSum(this.current) > maxTokens) return 'budget_tokens';
    if (maxCostUsd !== undefined && this.current.costUsd !== null && this.current.costUsd > maxCostUsd) return 'budget_cost';
    return undefined;
  }

  /** A cost budget is set but the cost cannot be known (model not in the price table). */
  get costBudgetBlind(): boolean {
    return this.budget.maxCostUsd !== undefined && this.current.costUsd === null && tokenSum(this.current) > 0;
  }

  private removeCall(call: { tokens: TokenUsage; cost: number | null }): void {
    const t = this.callTokens;
    this.callTokens = {
      inputTokens: t.inputTokens - call.tokens.inputTokens,
      outputTokens: t.outputTokens - call.tokens.outputTokens,
      cacheReadTokens: t.cacheReadTokens - call.tokens.cacheReadTokens,
      cacheWriteTokens: t.cacheWriteTokens - call.tokens.cacheWriteTokens,
    };
    if (call.cost === null) this.unpricedCalls--;
    else this.callCost -= call.cost;
  }

  private compute(): MeterTotals {
    const model = this.lastCallModel ?? this.askedModel;
    if (this.final) {
      const finalModel = this.final.model ?? model;
      const cost = this.final.cost ?? { usd: estimateCostUsd(finalModel, this.final.tokens), source: 'estimated' as CostSource };
      return withModel({ ...this.final.tokens, costUsd: cost.usd, costSource: cost.source }, finalModel);
    }
    const cost = this.unpricedCalls > 0 ? null : Math.max(0, this.callCost);
    return withModel({ ...this.callTokens, costUsd: cost, costSource: 'estimated' }, model);
  }
}

function sameTokens(a: TokenUsage, b: TokenUsage): boolean {
  return a.inputTokens === b.inputTokens && a.outputTokens === b.outputTokens
    && a.cacheReadTokens === b.cacheReadTokens && a.cacheWriteTokens === b.cacheWriteTokens;
}

function sameTotals(a: MeterTotals, b: MeterTotals): boolean {
  return sameTokens(a, b) && a.costUsd === b.costUsd && a.costSource === b.costSource && a.model === b.model;
}

function withModel(totals: UsageTotals, model: string | undefined): MeterTotals {
  return model === undefined ? totals : { ...totals, model };
}
