import type { AgentInfo } from '@onsembl/client';
import { describe, expect, it } from 'vitest';
import { ExitCode } from './exit-codes.js';
import { pickAgent } from './pick-agent.js';

const agent = (id: string, name: string, status: AgentInfo['status']): AgentInfo => ({ id, name, status, type: 'shell' });
const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error as { exitCode: number; message: string };
  }
  throw new Error('did not throw');
};

describe('which agent a command goes to', () => {
  const a = agent('a', 'laptop', 'online');
  const b = agent('b', 'build', 'busy');
  const c = agent('c', 'old', 'offline');

  it('the only online (or busy) agent when none is named', () => {
    expect(pickAgent([b, c], undefined)).toBe(b);
    expect(failure(() => pickAgent([c], undefined))).toMatchObject({ exitCode: ExitCode.agentOffline, message: expect.stringContaining('old (id c, shell, offline)') });
    expect(failure(() => pickAgent([a, b, c], undefined))).toMatchObject({ exitCode: ExitCode.usage, message: expect.stringMatching(/2 agents are online[\s\S]*laptop[\s\S]*build/) });
  });

  it('by id, then by name; an offline one is returned for the server to refuse; a name two agents share needs the id', () => {
    expect(pickAgent([a, b], 'b')).toBe(b);
    expect(pickAgent([a, b], 'laptop')).toBe(a);
    expect(pickAgent([c], 'old')).toBe(c);
    const twin = agent('d', 'laptop', 'offline');
    expect(pickAgent([a, twin], 'laptop')).toBe(a);
    expect(failure(() => pickAgent([agent('e', 'x', 'online'), agent('f', 'x', 'online')], 'x'))).toMatchObject({ exitCode: ExitCode.usage });
    expect(failure(() => pickAgent([a], 'nope'))).toMatchObject({ exitCode: ExitCode.agentOffline });
  });
});
