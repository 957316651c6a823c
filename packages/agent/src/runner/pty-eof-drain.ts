import { readSync } from 'node:fs';
import type { EventEmitter } from 'node:events';
import type { IPty } from 'node-pty';

/** Upper bound on what one drain reads, so a misbehaving descriptor cannot hold the event loop. */
const MAX_DRAIN_BYTES = 16 * 1024 * 1024;

/**
 * Works around output lost at exit on Linux (node-pty issues #72 and #726, libuv issue #4992):
 * when the terminal's last writer exits, the master side reports hang-up and libuv takes the next
 * short read for end-of-file, although the kernel still holds output. Node then closes the
 * descriptor and those final bytes (often a few KB) are gone.
 *
 * Just before that close, this reads the descriptor dry itself (it is non-blocking: the loop ends
 * with EIO once the kernel buffer is empty) and hands the bytes on after everything already
 * delivered. It uses node-pty internals (`_socket`, `fd`); if they are missing, it does nothing
 * and output behaves as node-pty alone would.
 */
export function drainAtEndOfFile(pty: IPty, onData: (data: Buffer) => void): void {
  const internals = pty as unknown as { _socket?: EventEmitter; fd?: number };
  const socket = internals._socket;
  const fd = internals.fd;
  if (!socket || typeof socket.prependListener !== 'function' || typeof fd !== 'number') return;
  // prepend: the stream's own 'end' handler destroys it (closing the descriptor); this must run first.
  socket.prependListener('end', () => {
    const buffer = Buffer.alloc(64 * 1024);
    let total = 0;
    while (total < MAX_DRAIN_BYTES) {
      let n: number;
      try {
        n = readSync(fd, buffer, 0, buffer.length, null);
      } catch {
        return; // EIO (drained, other side closed) or EAGAIN (nothing more now).
      }
      if (n <= 0) return;
      total += n;
      onData(Buffer.from(buffer.subarray(0, n)));
    }
  });
}
