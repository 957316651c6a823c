/** Why the agent stopped connecting for good: retrying cannot help, a person has to act. */
export type FatalReason = 'auth-failed' | 'replaced' | 'tls';

export class AgentFatalError extends Error {
  constructor(
    readonly reason: FatalReason,
    message: string,
    /** The WebSocket close code or HTTP status that said so, when there was one. */
    readonly code?: number,
  ) {
    super(message);
    this.name = 'AgentFatalError';
  }
}
