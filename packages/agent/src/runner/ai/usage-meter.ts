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
  private readonly calls = new Map<string, { tokens: TokenUsage; model: string | undefined }>();
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
      this.calls.set(update.callId, { tokens: update.tokens, model: update.model });
    } else {
      this.final = update;
    }
    const next = this.compute();
    const changed = JSON.stringify(next) !== JSON.stringify(this.current);
    this.current = next;
    return changed;
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

  private compute(): MeterTotals {
    if (this.final) {
      const model = this.final.model ?? this.lastModel();
      const cost = this.final.cost ?? { usd: estimateCostUsd(model, this.final.tokens), source: 'estimated' as CostSource };
      return withModel({ ...this.final.tokens, costUsd: cost.usd, costSource: cost.source }, model);
    }
    let tokens = ZERO_TOKENS;
    let cost: number | null = 0;
    for (const call of this.calls.values()) {
      tokens = addTokens(tokens, call.tokens);
      const callCost = tokenSum(call.tokens) === 0 ? 0 : estimateCostUsd(call.model ?? this.askedModel, call.tokens);
      cost = cost === null || callCost === null ? null : cost + callCost;
    }
    return withModel({ ...tokens, costUsd: cost, costSource: 'estimated' }, this.lastModel());
  }

  private lastModel(): string | undefined {
    let model = this.askedModel;
    for (const call of this.calls.values()) model = call.model ?? model;
    return model;
  }
}

function withModel(totals: UsageTotals, model: string | undefined): MeterTotals {
  return model === undefined ? totals : { ...totals, model };
}
