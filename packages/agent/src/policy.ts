/**
 * The agent's own command policy: glob patterns matched against the whole command text (trimmed).
 * `*` matches any run of characters (spaces, slashes, `;` included), `?` any one character, and `\`
 * makes the next character literal. A deny match always wins; when an allow list is given, only
 * commands matching one of its patterns run.
 *
 * This filters what a server may ask for; it is not a sandbox: `echo *` also matches
 * `echo hi; rm -rf ~`, so allow patterns should be as narrow as the commands they admit.
 */

export interface PolicyOptions {
  allow?: string[];
  deny?: string[];
}

export type PolicyDecision = { allowed: true } | { allowed: false; reason: string };

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === '*') source += '[\\s\\S]*';
    else if (char === '?') source += '[\\s\\S]';
    else if (char === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i] as string);
    else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

export class CommandPolicy {
  private readonly allow: Array<{ pattern: string; regexp: RegExp }> | undefined;
  private readonly deny: Array<{ pattern: string; regexp: RegExp }>;

  constructor(options: PolicyOptions = {}) {
    const compile = (patterns: string[]) => patterns.map((pattern) => ({ pattern, regexp: globToRegExp(pattern.trim()) }));
    this.allow = options.allow === undefined ? undefined : compile(options.allow);
    this.deny = compile(options.deny ?? []);
  }

  check(command: string): PolicyDecision {
    const text = command.trim();
    const denied = this.deny.find((rule) => rule.regexp.test(text));
    if (denied) return { allowed: false, reason: `denied by the agent's policy: matches deny pattern "${denied.pattern}"` };
    if (this.allow && !this.allow.some((rule) => rule.regexp.test(text))) {
      return { allowed: false, reason: `denied by the agent's policy: matches no allow pattern (${this.allow.length} configured)` };
    }
    return { allowed: true };
  }
}
