import { describe, expect, it } from 'vitest';
import { ExitCode, exitCodeOf } from './exit-codes.js';

describe('exit codes of a finished command', () => {
  it("passes the command's own code, maps signals, timeouts, cancels and commands that never ran", () => {
    expect(exitCodeOf({ status: 'completed', exitCode: 0 })).toBe(0);
    expect(exitCodeOf({ status: 'failed', exitCode: 2 })).toBe(2);
    expect(exitCodeOf({ status: 'failed', exitCode: 255 })).toBe(255);
    expect(exitCodeOf({ status: 'failed', exitCode: null, signal: 'SIGKILL' })).toBe(137);
    expect(exitCodeOf({ status: 'failed', exitCode: null, signal: null })).toBe(ExitCode.notRun);
    expect(exitCodeOf({ status: 'timeout', exitCode: null, signal: 'SIGINT' })).toBe(124);
    expect(exitCodeOf({ status: 'cancelled', exitCode: 0 })).toBe(130);
  });
});
