import type { OnsemblClient } from '@onsembl/client';
import { Limits } from '@onsembl/protocol';

/** Keystrokes typed within this window go as one terminal:input (typing stays well under the rate limit). */
const COALESCE_MS = 16;

/**
 * Sends what the user types into a running command: keystrokes coalesced a moment, a long paste
 * split into pieces the protocol accepts. A failure (not connected) is reported once per burst.
 */
export function inputSender(client: OnsemblClient, commandId: string, failed: (error: unknown) => void): (data: string) => void {
  let pending = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    timer = undefined;
    const data = pending;
    pending = '';
    try {
      for (let i = 0; i < data.length; i += Limits.terminalInputMaxChars) {
        client.sendInput(commandId, data.slice(i, i + Limits.terminalInputMaxChars));
      }
    } catch (error) {
      failed(error);
    }
  };
  return (data) => {
    pending += data;
    timer ??= setTimeout(flush, COALESCE_MS);
  };
}

/** A terminal size the protocol accepts (a tiny or huge window is clamped, not refused). */
export function protocolSize(cols: number, rows: number): { cols: number; rows: number } {
  const clamp = (v: number, min: number, max: number) => Math.min(max, Math.max(min, Math.round(v)));
  return { cols: clamp(cols, Limits.terminalColsMin, Limits.terminalColsMax), rows: clamp(rows, Limits.terminalRowsMin, Limits.terminalRowsMax) };
}
