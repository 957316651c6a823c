/**
 * A command that prints a known, checkable stream slowly enough to be interrupted many times:
 * `lines` numbered lines, pausing every `every` lines. What a PTY delivers for it is each line
 * followed by CR LF.
 */
export function printerCommand(lines: number, every: number, pauseSeconds: number): string {
  return `awk 'BEGIN { for (i = 1; i <= ${lines}; i++) { printf "line %06d of the chaos stream\\n", i; if (i % ${every} == 0) { fflush(); system("sleep ${pauseSeconds}") } } }'`;
}

export function expectedOutput(lines: number): string {
  let out = '';
  for (let i = 1; i <= lines; i++) out += `line ${String(i).padStart(6, '0')} of the chaos stream\r\n`;
  return out;
}
