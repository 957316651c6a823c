import { readFileSync, readlinkSync } from 'node:fs';

/**
 * Where the kernel parks a process that reads a terminal with nothing typed yet (n_tty_read waits
 * in wait_woken on current kernels). Read from /proc/<pid>/wchan.
 */
const TTY_READ_WAITS: ReadonlySet<string> = new Set(['wait_woken', 'n_tty_read']);

const hasProc = process.platform === 'linux';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function link(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** Fields after the command name of /proc/<pid>/stat (the name may hold spaces and ')'). */
function statFields(pid: number): string[] | undefined {
  const text = read(`/proc/${pid}/stat`);
  return text === undefined ? undefined : text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/**
 * Whether the command in the terminal `leaderPid` leads is blocked reading that terminal: some
 * process of the terminal's foreground group sleeps in a tty read with the terminal as its stdin
 * (a `read -p` prompt, a password question, an interactive program waiting for a key). Without
 * /proc (macOS) it cannot tell and says no.
 */
export function waitsForTerminalInput(leaderPid: number): boolean {
  if (!hasProc) return false;
  const leader = statFields(leaderPid);
  const terminal = link(`/proc/${leaderPid}/fd/0`);
  // Field 8 of stat (index 5 after the name) is tpgid: the terminal's foreground process group.
  const foreground = Number(leader?.[5]);
  if (!terminal || !Number.isInteger(foreground) || foreground <= 0) return false;
  return family(leaderPid).some((pid) => {
    if (Number(statFields(pid)?.[2]) !== foreground) return false;
    const wchan = read(`/proc/${pid}/wchan`);
    return wchan !== undefined && TTY_READ_WAITS.has(wchan.trim()) && link(`/proc/${pid}/fd/0`) === terminal;
  });
}

/** The leader and its descendants, from the kernel's child lists (cheap: no scan of all of /proc). */
function family(leaderPid: number): number[] {
  const pids: number[] = [];
  const pending = [leaderPid];
  while (pending.length > 0 && pids.length < 1_000) {
    const pid = pending.pop() as number;
    pids.push(pid);
    const children = read(`/proc/${pid}/task/${pid}/children`);
    if (children) for (const child of children.trim().split(' ')) if (child) pending.push(Number(child));
  }
  return pids;
}
