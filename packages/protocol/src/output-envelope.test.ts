import { describe, expect, it } from 'vitest';
import { Limits } from './constants.js';
import { toDashboard } from './messages.js';

describe('the room terminal output leaves for its envelope', () => {
  it('holds the largest terminal:output envelope a dashboard can get, so output chunks stay under the compression threshold', () => {
    // Ids as the server makes them (command `cmd-<uuid>`, epoch 16 hex digits), the longest agent
    // id a token may carry, and the largest numbers JSON gives exactly.
    const message = {
      ...toDashboard('terminal:output', {
        commandId: `cmd-${'0'.repeat(8)}-${'0'.repeat(4)}-${'0'.repeat(4)}-${'0'.repeat(4)}-${'0'.repeat(12)}`,
        agentId: 'a'.repeat(Limits.idMaxChars),
        data: '',
        stream: 'stderr',
        sequence: Number.MAX_SAFE_INTEGER,
      }),
      timestamp: 9_999_999_999_999,
      position: { epoch: 'f'.repeat(16), offset: Number.MAX_SAFE_INTEGER },
    };
    const envelope = Buffer.byteLength(JSON.stringify(message));
    expect(envelope).toBeLessThanOrEqual(Limits.outputEnvelopeMaxBytes);
    expect(envelope + Limits.outputChunkTargetBytes).toBeLessThanOrEqual(Limits.compressionThresholdBytes);
    expect(Limits.outputChunkTargetBytes).toBeLessThanOrEqual(Limits.outputChunkBytes);
  });
});
