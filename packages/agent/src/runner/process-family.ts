import { readdirSync, readFileSync } from 'node:fs';

/** One line of /proc/<pid>/stat, the fields we need. */
interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
  /** Clock ticks since boot: with the pid, identifies a process across pid reuse. */
  startTime: string;
}

const hasProc = process.platform === 'linux';

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may itself contain spaces and ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, ppid, pgid, sid] = fields;
  const startTime = fields[19];
  if (state === undefined || startTime === undefined) return undefined;
  return { pid, state, ppid: Number(ppid), pgid: Number(pgid), sid: Number(sid), startTime };
}

function listProcesses(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (stat) stats.push(stat);
  }
  return stats;
}

/** A zombie (Z) or dead (X) process runs no code; it only waits for its parent to reap it. */
function isRunning(stat: ProcStat): boolean {
  return stat.state !== 'Z' && stat.state !== 'X';
}

/**
 * Every process that belongs to one command: the session its leader started (node-pty makes the
 * child a session and group leader), plus descendants that left the group or session (setsid,
 * setpgid, `nohup … &` in a script). Those are found by parent links while their parent lives, so
 * the family is re-scanned before each signal and remembered by (pid, start time), which survives
 * reparenting and ignores a reused pid.
 *
 * Without /proc (macOS) it falls back to the process group alone.
 */
export class ProcessFamily {
  private readonly known = new Map<number, string>();

  constructor(readonly leaderPid: number) {}

  /** Looks for new members; call before signalling. */
  refresh(): void {
    if (!hasProc) return;
    const all = listProcesses();
    const children = new Map<number, ProcStat[]>();
    for (const stat of all) {
      const siblings = children.get(stat.ppid) ?? [];
      siblings.push(stat);
      children.set(stat.ppid, siblings);
    }
    const seen = new Set<number>();
    const visit = (stat: ProcStat) => {
      if (stat.pid === process.pid || seen.has(stat.pid)) return;
      seen.add(stat.pid);
      this.known.set(stat.pid, stat.startTime);
      for (const child of children.get(stat.pid) ?? []) visit(child);
    };
    for (const stat of all) {
      const remembered = this.known.get(stat.pid);
      if (remembered !== undefined && remembered !== stat.startTime) continue; // a reused pid
      const inFamily =
        remembered !== undefined || stat.pid === this.leaderPid || stat.pgid === this.leaderPid || stat.sid === this.leaderPid;
      if (inFamily) visit(stat);
    }
  }

  /** Signals the process group, then every remembered member still running outside it. */
  signal(signal: NodeJS.Signals): void {
    this.refresh();
    try {
      process.kill(-this.leaderPid, signal);
    } catch {
      // ESRCH: the group is empty; members that left it are handled below.
    }
    for (const stat of this.runningMembers()) {
      if (stat.pgid === this.leaderPid) continue;
      try {
        process.kill(stat.pid, signal);
      } catch {
        // Exited between the scan and the signal.
      }
    }
  }

  isAnyAlive(): boolean {
    if (!hasProc) {
      try {
        process.kill(-this.leaderPid, 0);
        return true;
      } catch {
        return false;
      }
    }
    this.refresh();
    return this.runningMembers().length > 0;
  }

  private runningMembers(): ProcStat[] {
    const members: ProcStat[] = [];
    for (const [pid, startTime] of this.known) {
      const stat = readStat(pid);
      if (!stat || stat.startTime !== startTime) {
        this.known.delete(pid);
        continue;
      }
      if (isRunning(stat)) members.push(stat);
    }
    return members;
  }
}
