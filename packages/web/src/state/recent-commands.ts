/**
 * Commands this browser sent, newest last, for Up-arrow recall in the command box. Kept in
 * localStorage (not the server's history): recall is about what this user typed here, and it must
 * work at once, offline, without a request.
 */
const KEY = 'onsembl.recentCommands';
export const RECENT_COMMANDS_MAX = 50;

export function loadRecentCommands(storage: Storage | undefined = globalThis.localStorage): string[] {
  try {
    const parsed: unknown = JSON.parse(storage?.getItem(KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((c): c is string => typeof c === 'string').slice(-RECENT_COMMANDS_MAX) : [];
  } catch {
    return [];
  }
}

/** Appends `command` (moving an earlier copy to the end) and returns the new list. */
export function rememberCommand(command: string, storage: Storage | undefined = globalThis.localStorage): string[] {
  const next = [...loadRecentCommands(storage).filter((c) => c !== command), command].slice(-RECENT_COMMANDS_MAX);
  try {
    storage?.setItem(KEY, JSON.stringify(next));
  } catch {
    // A full or disabled storage only costs the recall.
  }
  return next;
}
