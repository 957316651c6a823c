import { Limits } from '@onsembl/protocol';

/** Cuts `text` to at most `max` UTF-16 units without splitting a surrogate pair. */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return text.slice(0, end);
}

/** Splits long text into pieces of at most `max` units (one event each). */
export function splitText(text: string, max = Limits.traceTextMaxChars): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const piece = cutText(rest, max);
    pieces.push(piece);
    rest = rest.slice(piece.length);
  }
  if (rest.length > 0 || pieces.length === 0) pieces.push(rest);
  return pieces;
}

/** A short message field (Text in the protocol). */
export function capMessage(text: string): string {
  return cutText(text, Limits.messageTextMaxChars);
}

/** The kept start of a tool result, its full size in bytes, and whether it was cut. */
export function capOutput(full: string): { output: string; outputBytes: number; truncated: boolean } {
  const output = cutText(full, Limits.traceToolOutputMaxChars);
  return { output, outputBytes: Buffer.byteLength(full, 'utf8'), truncated: output.length < full.length };
}

/** A tool's input as is when its JSON is small enough, else the start of its JSON text. */
export function capInput(input: unknown): { input: unknown; inputTruncated?: true } {
  let json: string | undefined;
  try {
    json = JSON.stringify(input);
  } catch {
    json = undefined;
  }
  if (json === undefined) return { input: null };
  if (json.length <= Limits.traceInputMaxChars) return { input };
  return { input: cutText(json, Limits.traceInputMaxChars), inputTruncated: true };
}

const ID_BAD = /[^A-Za-z0-9._:@-]/g;

/** A CLI's id made fit for the protocol's Id (allowed characters, length), or the fallback. */
export function safeId(raw: unknown, fallback: string): string {
  if (typeof raw !== 'string' && typeof raw !== 'number') return fallback;
  const id = String(raw).replace(ID_BAD, '_').slice(0, Limits.idMaxChars);
  return id.length > 0 ? id : fallback;
}

/** Text the CLI gave in any shape (string, content blocks, objects) as one string. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) {
    return value
      .map((part) => {
        if (typeof part === 'string') return part;
        if (part && typeof part === 'object') {
          const block = part as Record<string, unknown>;
          if (typeof block.text === 'string') return block.text;
          if (block.type === 'image') return '[image]';
        }
        return JSON.stringify(part);
      })
      .join('\n');
  }
  if (typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if (typeof object.text === 'string') return object.text;
    if (typeof object.message === 'string') return object.message;
  }
  return JSON.stringify(value);
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ⏎ ').replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

/** The input field that says most about a call, per tool name (Claude, Gemini and Codex names). */
function gistOf(name: string, input: Record<string, unknown>): string | undefined {
  switch (name) {
    case 'Bash':
    case 'run_shell_command':
    case 'shell':
      return str(input.command);
    case 'Read':
    case 'Write':
    case 'Edit':
    case 'MultiEdit':
    case 'NotebookEdit':
    case 'read_file':
    case 'write_file':
    case 'replace':
      return str(input.file_path) ?? str(input.absolute_path) ?? str(input.path) ?? str(input.notebook_path);
    case 'Glob':
    case 'Grep':
    case 'glob':
    case 'search_file_content':
      return [str(input.pattern), str(input.path)].filter(Boolean).join(' in ') || undefined;
    case 'WebFetch':
    case 'web_fetch':
      return str(input.url) ?? str(input.prompt);
    case 'WebSearch':
    case 'google_web_search':
    case 'web_search':
      return str(input.query);
    case 'Task':
      return str(input.description) ?? str(input.prompt);
    case 'TodoWrite':
    case 'write_todos':
      return Array.isArray(input.todos) ? `${input.todos.length} todos` : undefined;
    case 'list_directory':
    case 'LS':
      return str(input.path) ?? str(input.dir_path);
    default:
      return undefined;
  }
}

/** The one-line gist of a tool call: its name and the input that says most (`Bash ls -la`). */
export function toolSummary(name: string, input: unknown): string {
  let gist: string | undefined;
  if (input && typeof input === 'object' && !Array.isArray(input)) {
    const fields = input as Record<string, unknown>;
    gist = gistOf(name, fields);
    if (gist === undefined) {
      // Unknown tool: its first short string field, else its JSON.
      gist = Object.values(fields).map(str).find((value) => value !== undefined && value.length <= 200);
      gist ??= JSON.stringify(fields).slice(0, 200);
    }
  } else if (typeof input === 'string') gist = input;
  const line = oneLine(gist === undefined || gist === '{}' ? name : `${name} ${gist}`);
  return cutText(line, Limits.traceSummaryMaxChars);
}
