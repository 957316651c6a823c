import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The private directory where one agent process spills unacknowledged output. Created inside the
 * configured spool directory (default: the OS temp dir) with a unique name, so two agents sharing a
 * parent never touch each other's files; removed by `remove()` when the agent stops.
 */
export class SpoolDirectory {
  readonly path: string;
  private counter = 0;

  constructor(parent: string = tmpdir()) {
    mkdirSync(parent, { recursive: true, mode: 0o700 });
    this.path = mkdtempSync(join(parent, 'onsembl-agent-'));
  }

  /** A fresh file name for a spool segment of this command (unique for the directory's life). */
  nextFile(commandId: string): string {
    this.counter++;
    // Command ids are limited to [A-Za-z0-9._:@-]; only ':' is awkward in file names on some systems.
    return join(this.path, `${this.counter}-${commandId.replaceAll(':', '_')}.spool`);
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
