/**
 * List prices used to estimate what a run cost when the CLI reports no cost (Gemini CLI, Codex).
 * Claude Code reports its own `total_cost_usd`, which is used as is (costSource "reported").
 * Prices are USD per million tokens, from the vendors' public price pages (docs/agents.md says
 * when they were taken); a model id matches the longest prefix in the table.
 */

export interface ModelPrice {
  /** Input tokens that were not read from or written to a prompt cache. */
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** Token counts as every trace `usage` event carries them (inputTokens excludes cached tokens). */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export const ModelPrices: Readonly<Record<string, ModelPrice>> = {
  // Anthropic
  'claude-opus-4-5': { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 },
  'claude-opus': { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  'claude-sonnet': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cacheRead: 0.08, cacheWrite: 1 },
  'claude-haiku': { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
  // Google (prompts up to 200k tokens; Gemini has no cache-write charge per token)
  'gemini-2.5-pro': { input: 1.25, output: 10, cacheRead: 0.31, cacheWrite: 0 },
  'gemini-2.5-flash-lite': { input: 0.1, output: 0.4, cacheRead: 0.025, cacheWrite: 0 },
  'gemini-2.5-flash': { input: 0.3, output: 2.5, cacheRead: 0.075, cacheWrite: 0 },
  'gemini-2.0-flash': { input: 0.1, output: 0.4, cacheRead: 0.025, cacheWrite: 0 },
  'gemini-3-pro': { input: 2, output: 12, cacheRead: 0.2, cacheWrite: 0 },
  // OpenAI (OpenAI charges nothing extra for cache writes)
  'gpt-5-mini': { input: 0.25, output: 2, cacheRead: 0.025, cacheWrite: 0 },
  'gpt-5-nano': { input: 0.05, output: 0.4, cacheRead: 0.005, cacheWrite: 0 },
  'gpt-5': { input: 1.25, output: 10, cacheRead: 0.125, cacheWrite: 0 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cacheRead: 0.1, cacheWrite: 0 },
  'gpt-4.1': { input: 2, output: 8, cacheRead: 0.5, cacheWrite: 0 },
  'gpt-4o-mini': { input: 0.15, output: 0.6, cacheRead: 0.075, cacheWrite: 0 },
  'gpt-4o': { input: 2.5, output: 10, cacheRead: 1.25, cacheWrite: 0 },
  'codex-mini': { input: 1.5, output: 6, cacheRead: 0.375, cacheWrite: 0 },
  'o4-mini': { input: 1.1, output: 4.4, cacheRead: 0.275, cacheWrite: 0 },
  'o3': { input: 2, output: 8, cacheRead: 0.5, cacheWrite: 0 },
};

const PREFIXES = Object.keys(ModelPrices).sort((a, b) => b.length - a.length);

/** The price entry of a model id (longest matching prefix, case-insensitive), or null. */
export function modelPrice(model: string): ModelPrice | null {
  const id = model.toLowerCase().replace(/^models\//, '');
  const prefix = PREFIXES.find((p) => id.startsWith(p));
  return prefix === undefined ? null : (ModelPrices[prefix] ?? null);
}

/** USD a run of `usage` tokens costs on `model` at list price, or null for a model not in the table. */
export function estimateCostUsd(model: string | undefined, usage: TokenUsage): number | null {
  if (model === undefined) return null;
  const price = modelPrice(model);
  if (!price) return null;
  const micro =
    usage.inputTokens * price.input +
    usage.outputTokens * price.output +
    usage.cacheReadTokens * price.cacheRead +
    usage.cacheWriteTokens * price.cacheWrite;
  return micro / 1_000_000;
}
