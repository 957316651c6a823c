import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { CLI_DEFINITIONS, type AiAgentType } from './cli-definitions.js';

/** How long `--version` may take (Claude Code's first start is slow). */
const VERSION_TIMEOUT_MS = 20_000;

export interface CheckedCli {
  /** Absolute path of the CLI that answered. */
  path: string;
  /** What it printed for --version, e.g. "2.1.328". */
  version: string;
}

/** One line telling the user what is missing and what to install. */
export class CliCheckError extends Error {
  override readonly name = 'CliCheckError';
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The CLI's path: `cliPath` as given, else the binary found on PATH; undefined if none. */
export function findCli(binary: string, cliPath: string | undefined, pathEnv = process.env.PATH ?? ''): string | undefined {
  if (cliPath !== undefined) {
    const full = isAbsolute(cliPath) || cliPath.includes('/') ? resolve(cliPath) : findCli(cliPath, undefined, pathEnv);
    return full !== undefined && isExecutable(full) ? full : undefined;
  }
  for (const dir of pathEnv.split(delimiter)) {
    if (dir.length === 0) continue;
    const candidate = join(dir, binary);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The version number in what a CLI prints for --version ("2.1.328 (Claude Code)", "codex-cli 0.169.0"). */
export function parseVersion(output: string): string | undefined {
  const match = /\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.-]+)?/.exec(output);
  return match?.[0].slice(0, 64);
}

/**
 * Checks that the type's CLI is there and answers `--version`, before the agent starts. Throws
 * CliCheckError with one line that says what to install.
 */
export async function checkCli(type: AiAgentType, cliPath?: string): Promise<CheckedCli> {
  const def = CLI_DEFINITIONS[type];
  const install = `install it with \`npm install -g ${def.npmPackage}\`${cliPath === undefined ? ' or pass --cli PATH' : ''}`;
  const path = findCli(def.binary, cliPath);
  if (path === undefined) {
    const where = cliPath === undefined ? `\`${def.binary}\` is not on PATH` : `${cliPath} is not an executable file`;
    throw new CliCheckError(`--type ${type} needs ${def.product}, but ${where}: ${install}`);
  }
  const output = await new Promise<string>((done, fail) => {
    execFile(path, ['--version'], { timeout: VERSION_TIMEOUT_MS, env: { ...process.env, ...def.env }, maxBuffer: 64 * 1024 }, (error, stdout, stderr) => {
      if (error) fail(new CliCheckError(`--type ${type} needs ${def.product}, but \`${path} --version\` failed (${firstLine(stderr) || firstLine(error.message)}): ${install}`));
      else done(`${stdout}\n${stderr}`);
    });
  });
  const version = parseVersion(output);
  if (version === undefined) {
    throw new CliCheckError(`--type ${type} needs ${def.product}, but \`${path} --version\` printed no version (${firstLine(output)}): ${install}`);
  }
  return { path, version };
}

function firstLine(text: string): string {
  return (text.split('\n').find((line) => line.trim().length > 0) ?? '').trim().slice(0, 200);
}
