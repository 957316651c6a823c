import { shouldCompress } from '@onsembl/protocol';

/**
 * ws send options for a text message of `byteLength` UTF-8 bytes: each send says itself whether
 * to compress (see shouldCompress), so small messages skip zlib entirely (it is per socket, so per
 * dashboard). The two option objects are shared to allocate nothing per message.
 */
const SMALL = { binary: false, compress: false } as const;
const LARGE = { binary: false, compress: true } as const;

export function textFrame(byteLength: number): typeof SMALL | typeof LARGE {
  return shouldCompress(byteLength) ? LARGE : SMALL;
}
