import { readFileSync } from 'node:fs';

/** This package's version, reported in agent:connect (read from package.json: one source of truth). */
export const AGENT_VERSION: string = (() => {
  try {
    // src/ and dist/ are both one level below the package root.
    const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
    return (JSON.parse(text) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
