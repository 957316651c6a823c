/**
 * The environment a command runs with: the agent's own, minus anything that carries the agent's
 * token (a command must not be able to act as the agent), plus what the server asked for, plus TERM.
 */
export function commandEnvironment(
  agentEnv: NodeJS.ProcessEnv,
  requested: Record<string, string> | undefined,
  token: string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(agentEnv)) {
    if (value === undefined || (token.length > 0 && value.includes(token))) continue;
    env[name] = value;
  }
  env.TERM = 'xterm-256color';
  return { ...env, ...requested };
}
