/** One line for a failure the user can act on; a stack trace helps nobody who typed a command. */
export function describeFailure(err: unknown): string {
  const e = err as { code?: unknown; address?: unknown; port?: unknown; message?: unknown };
  if (e?.code === 'EADDRINUSE' && typeof e.port === 'number') {
    return `port ${e.port} on ${String(e.address)} is already in use (another Onsembl server?): stop it, or pick another --port`;
  }
  return err instanceof Error ? err.message : String(err);
}
