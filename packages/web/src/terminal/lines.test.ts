import { describe, expect, it } from 'vitest';
import { endLine, noteLine, shortId, startLine } from './lines.js';

const DIM = '\x1b[2m';

describe('terminal marker lines', () => {
  it('writes notes as one dim line', () => {
    const line = noteLine('… 4 output chunks did not reach this dashboard');
    expect(line.startsWith(DIM)).toBe(true);
    expect(line.endsWith('\r\n')).toBe(true);
  });

  it('writes the command when it starts and its outcome when it ends', () => {
    expect(startLine('cmd-2d61a9ec-eacc-4434-997f-f02573d80b7b', 'ls -la')).toContain('$ ls -la');
    expect(startLine('cmd-2d61a9ec-eacc-4434-997f-f02573d80b7b', 'ls -la')).toContain('[cmd-2d61a9ec]');
    expect(endLine({ commandId: 'c', agentId: 'a', status: 'failed', exitCode: 2, durationMs: 1_500 })).toContain('failed · exit 2 · 1.5 s');
    expect(shortId('not-a-uuid')).toBe('not-a-uuid');
  });
});
