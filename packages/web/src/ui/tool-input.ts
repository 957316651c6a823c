/** How a tool's input reads in one line and in full, for approval cards and the run view. */

const str = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

/** The input field that says most (a shell command, a path, a pattern), else its short JSON. */
export function inputGist(input: unknown, max = 160): string {
  let gist: string | undefined;
  if (input && typeof input === 'object' && !Array.isArray(input)) {
    const fields = input as Record<string, unknown>;
    gist = str(fields.command) ?? str(fields.file_path) ?? str(fields.path) ?? str(fields.url) ?? str(fields.pattern) ?? str(fields.query);
    gist ??= JSON.stringify(fields);
  } else if (typeof input === 'string') gist = input;
  else gist = JSON.stringify(input) ?? '';
  const line = gist.replace(/\s*[\r\n]+\s*/g, ' ⏎ ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The whole input, pretty-printed (a cut input arrives as its JSON text, shown as it is). */
export function inputText(input: unknown): string {
  if (typeof input === 'string') return input;
  try {
    return JSON.stringify(input, null, 2) ?? String(input);
  } catch {
    return String(input);
  }
}
