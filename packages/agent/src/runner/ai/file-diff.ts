import { Limits } from '@onsembl/protocol';
import { cutText } from './trace-caps.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const lines = (text: string) => (text.length === 0 ? [] : text.replace(/\n$/, '').split('\n'));
const cap = (diff: string) => cutText(diff, Limits.traceDiffMaxChars);

/** A file change a tool made, as a trace `file_change` carries it. */
export interface FileChange {
  path: string;
  change: 'add' | 'modify';
  diff?: string;
}

/**
 * The diff of an edit tool's call, where the CLI gives old and new text: Claude's structuredPatch
 * (hunks with positions) when its result has one, else the call's own old and new text (positions
 * unknown, so the hunk has no @@ line), or the whole content of a file written.
 */
export function fileChangeOf(name: string, input: unknown, result: unknown): FileChange | undefined {
  if (!isObj(input)) return undefined;
  const path = str(input.file_path) ?? str(input.absolute_path) ?? str(input.path) ?? str(input.notebook_path);
  if (!path) return undefined;
  const header = `--- a/${path.replace(/^\//, '')}\n+++ b/${path.replace(/^\//, '')}\n`;
  const created = isObj(result) && result.type === 'create';
  const patch = isObj(result) && Array.isArray(result.structuredPatch) ? result.structuredPatch.filter(isObj) : undefined;
  if (patch && patch.length > 0) {
    const hunks = patch.map((h) => {
      const body = Array.isArray(h.lines) ? h.lines.filter((l): l is string => typeof l === 'string') : [];
      return `@@ -${Number(h.oldStart) || 0},${Number(h.oldLines) || 0} +${Number(h.newStart) || 0},${Number(h.newLines) || 0} @@\n${body.join('\n')}`;
    });
    return { path, change: created ? 'add' : 'modify', diff: cap(`${header}${hunks.join('\n')}\n`) };
  }
  switch (name) {
    case 'Write':
    case 'write_file': {
      const content = str(input.content) ?? '';
      const body = lines(content).map((l) => `+${l}`);
      const change = isObj(result) && result.type === 'update' ? 'modify' : 'add';
      return { path, change, diff: cap(`${header}${body.length > 0 ? `@@ -0,0 +1,${body.length} @@\n${body.join('\n')}\n` : ''}`) };
    }
    case 'Edit':
    case 'replace': {
      const before = lines(str(input.old_string) ?? '').map((l) => `-${l}`);
      const after = lines(str(input.new_string) ?? '').map((l) => `+${l}`);
      return { path, change: 'modify', diff: cap(`${header}${[...before, ...after].join('\n')}\n`) };
    }
    case 'MultiEdit': {
      const edits = Array.isArray(input.edits) ? input.edits.filter(isObj) : [];
      const body = edits.flatMap((e) => [...lines(str(e.old_string) ?? '').map((l) => `-${l}`), ...lines(str(e.new_string) ?? '').map((l) => `+${l}`)]);
      return { path, change: 'modify', diff: cap(`${header}${body.join('\n')}\n`) };
    }
    case 'NotebookEdit':
      return { path, change: 'modify' };
    default:
      return undefined;
  }
}

/** Tools whose successful call changes a file (Claude and Gemini names). */
export const FILE_TOOLS = new Set(['Write', 'Edit', 'MultiEdit', 'NotebookEdit', 'write_file', 'replace']);
