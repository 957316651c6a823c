import { Limits } from '@onsembl/protocol';

/**
 * ws applies its compression threshold only when no_context_takeover was negotiated; otherwise it
 * deflates every message. The spec says "Compress if payload >10KB", so each send says itself
 * whether to compress: small messages skip zlib entirely (it is per socket, so per dashboard).
 */
const SMALL = { binary: false, compress: false } as const;
const LARGE = { binary: false, compress: true } as const;

export function textFrame(byteLength: number): typeof SMALL | typeof LARGE {
  return byteLength > Limits.compressionThresholdBytes ? LARGE : SMALL;
}
