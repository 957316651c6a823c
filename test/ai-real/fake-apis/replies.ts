/**
 * What a fake model server answers, in terms every API shares. A test scripts the replies of one
 * conversation in order; each of the CLI's model calls takes the next one, and the fake speaks it in
 * its own wire format (Anthropic Messages SSE, Gemini streamGenerateContent, OpenAI Responses SSE).
 */

/**
 * Token figures the fake reports for one model call. `inputTokens` are the uncached input tokens;
 * each dialect maps them to its API's convention (OpenAI and Gemini count cached tokens inside the
 * input total, Anthropic beside it).
 */
export interface FakeUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
}

export type FakeReply =
  /** Assistant text, streamed in the given chunks (a string is one chunk). */
  | { kind: 'answer'; text: string | readonly string[]; thinking?: string; usage?: FakeUsage }
  /** A call of the CLI's shell tool (Bash / run_shell_command / exec_command) with this command line. */
  | { kind: 'tool'; command: string; text?: string; thinking?: string; usage?: FakeUsage }
  /**
   * A call of the CLI's file-writing tool that creates `path` (absolute) with `content`: Claude's Write,
   * Gemini's write_file, Codex's apply_patch (an "Add File" patch).
   */
  | { kind: 'write'; path: string; content: string; text?: string; usage?: FakeUsage }
  /**
   * A slow stream: the first chunk of text, then nothing while the connection stays open, until the
   * client goes away or the fake closes. For interrupts.
   */
  | { kind: 'stall'; text: string; usage?: FakeUsage }
  /**
   * An HTTP error. It answers `times` calls (default: every call from here on, so retries see it too),
   * then the script goes on.
   */
  | { kind: 'error'; status: FakeErrorStatus; times?: number };

export const FakeErrorStatus = { unauthorized: 401, rateLimited: 429, serverError: 500 } as const;
export type FakeErrorStatus = (typeof FakeErrorStatus)[keyof typeof FakeErrorStatus];

export const DEFAULT_USAGE: FakeUsage = { inputTokens: 100, outputTokens: 10 };

/** What a model call got when the script had no reply left: text, so that the CLI ends its turn. */
export const UNSCRIPTED_REPLY: FakeReply = { kind: 'answer', text: '(fake model: no scripted reply left)' };

export function textChunks(reply: { text: string | readonly string[] }): readonly string[] {
  return typeof reply.text === 'string' ? [reply.text] : reply.text;
}

/** The replies of one conversation, taken in order. */
export class ReplyScript {
  private replies: FakeReply[] = [];
  private errorCalls = 0;
  /** Model calls that found the script empty (each one is logged loudly). */
  unscripted = 0;

  set(replies: readonly FakeReply[]): void {
    this.replies = [...replies];
    this.errorCalls = 0;
  }

  /** The error the next model call would get, without taking it (side calls fail with it too). */
  pendingError(): Extract<FakeReply, { kind: 'error' }> | undefined {
    const reply = this.replies[0];
    return reply?.kind === 'error' ? reply : undefined;
  }

  /** The reply for the next model call. */
  next(): FakeReply {
    const reply = this.replies[0];
    if (reply === undefined) {
      this.unscripted++;
      return UNSCRIPTED_REPLY;
    }
    if (reply.kind === 'error') {
      this.errorCalls++;
      if (reply.times !== undefined && this.errorCalls >= reply.times) {
        this.replies.shift();
        this.errorCalls = 0;
      }
      return reply;
    }
    this.replies.shift();
    return reply;
  }

  get remaining(): number {
    return this.replies.length;
  }
}
