import { join } from 'node:path';
import { anthropicDialect, anthropicTexts, anthropicToolResults } from './anthropic.js';
import { startFakeModelServer, type Dialect, type FakeModelServer } from './fake-model-server.js';
import { geminiDialect, geminiTexts, geminiToolResults } from './gemini.js';
import { openaiDialect, openaiTexts, openaiToolResults } from './openai.js';

export * from './fake-model-server.js';
export * from './replies.js';

/** The API each AI CLI speaks. */
export const FakeApi = { anthropic: 'anthropic', gemini: 'gemini', openai: 'openai' } as const;
export type FakeApi = (typeof FakeApi)[keyof typeof FakeApi];

interface ApiReaders {
  dialect: Dialect;
  /** What the CLI's tools printed, as the CLI sent it back to the model. */
  toolResults(body: unknown): string[];
  /** The conversation's user and assistant texts, in order. */
  texts(body: unknown): string[];
}

export const apis: Record<FakeApi, ApiReaders> = {
  anthropic: { dialect: anthropicDialect, toolResults: anthropicToolResults, texts: anthropicTexts },
  gemini: { dialect: geminiDialect, toolResults: geminiToolResults, texts: geminiTexts },
  openai: { dialect: openaiDialect, toolResults: openaiToolResults, texts: openaiTexts },
};

/** A fake model server for `api` on a Unix socket in `dir`. */
export function startFakeApi(api: FakeApi, dir: string): Promise<FakeModelServer> {
  return startFakeModelServer(apis[api].dialect, join(dir, `fake-${api}.sock`));
}
