import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon, type ISearchOptions } from '@xterm/addon-search';
import { Terminal, type IMarker } from '@xterm/xterm';

export interface UnfilledRange {
  commandId: string;
  agentId: string;
  from: number;
  /** Exclusive. */
  to: number;
  reason: string;
}

/** What the toolbar and the overlays show about the terminal beside its text (one snapshot). */
export interface TerminalView {
  /** Ranges that could not be loaded (offered by "Load missing output"). */
  unfilled: readonly UnfilledRange[];
  /** How many missing ranges were loaded from the store in place. */
  filled: number;
  /** Lines written while the user was scrolled up (offered by "Jump to latest"); 0 at the bottom. */
  newLinesBelow: number;
  /** The scrollback limit has dropped old lines from the top. */
  trimmed: boolean;
  /** The newest command whose start line was dropped: its earlier output is only in the history. */
  trimmedCommandId: string | null;
}

const THEME = {
  background: '#0d1117', foreground: '#d6dde6', cursor: '#0d1117', selectionBackground: '#3a5a85',
  black: '#1b2230', red: '#ff6b6b', green: '#4cd37c', yellow: '#f5c451', blue: '#5aa7ff', magenta: '#d38cf5',
  cyan: '#44d1df', white: '#d6dde6', brightBlack: '#6b7789',
};

/** Two Escape presses within this leave typing mode (one Escape still reaches the program). */
const ESCAPE_TWICE_MS = 600;

export const SEARCH_DECORATIONS: ISearchOptions['decorations'] = {
  matchBackground: '#5a4a12', matchOverviewRuler: '#f5c451', activeMatchBackground: '#b3801a', activeMatchColorOverviewRuler: '#ffdd77',
};

/**
 * One agent's xterm.js terminal. It lives as long as the dashboard, whether shown or not, so
 * switching agents keeps every terminal's scrollback; output written before it is first shown is
 * kept in its buffer.
 */
export class AgentTerminal {
  readonly term: Terminal;
  readonly search = new SearchAddon();
  readonly #fit = new FitAddon();
  #opened = false;
  #atLineStart = true;
  #view: TerminalView = { unfilled: [], filled: 0, newLinesBelow: 0, trimmed: false, trimmedCommandId: null };
  readonly #listeners = new Set<() => void>();
  /** Marks the buffer's first line: xterm disposes it when the scrollback limit drops that line. */
  #topMarker: IMarker | undefined;
  #input: { send(data: string): void; leave(): void } | undefined;
  #lastEscapeAt = Number.NEGATIVE_INFINITY;
  readonly scrollback: number;

  constructor(options: { scrollback?: number } = {}) {
    this.scrollback = options.scrollback ?? 10_000;
    this.term = new Terminal({
      convertEol: true, // agents without a PTY send bare \n
      disableStdin: true, // output only: commands go through the command form
      screenReaderMode: true, // an accessibility tree of the text, for assistive tech and tests
      scrollback: this.scrollback,
      allowProposedApi: true, // search decorations
      cursorBlink: false,
      cursorStyle: 'underline',
      cursorInactiveStyle: 'none',
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
      fontSize: 13,
      theme: THEME,
    });
    this.term.loadAddon(this.#fit);
    this.term.loadAddon(this.search);
    // Tab and Shift+Tab leave the terminal, as from any other control: its hidden input must not be a
    // keyboard trap (WCAG 2.1.2). Returning false hands the event back to the browser. While the user
    // types into a command, Tab belongs to the program (completion) and Esc Esc is the way out.
    this.term.attachCustomKeyEventHandler((event) => this.#keyFilter(event));
    this.term.onData((data) => this.#input?.send(data));
    this.term.onScroll(() => {
      if (this.#view.newLinesBelow > 0 && this.atBottom) this.#set({ newLinesBelow: 0 });
    });
  }

  /**
   * Typing mode: keystrokes go to `send` (the running command's terminal) until `leave` is called
   * by Esc Esc (two presses within a moment) or the caller turns it off with `setInput(null)`.
   */
  setInput(input: { send(data: string): void; leave(): void } | null): void {
    this.#input = input ?? undefined;
    this.term.options.disableStdin = input === null;
    this.term.options.theme = input === null ? THEME : { ...THEME, cursor: THEME.foreground };
    if (input) this.term.focus();
  }

  get typing(): boolean {
    return this.#input !== undefined;
  }

  #keyFilter(event: KeyboardEvent): boolean {
    if (!this.#input) return event.key !== 'Tab';
    if (event.type === 'keydown' && event.key === 'Escape') {
      const now = event.timeStamp;
      if (now - this.#lastEscapeAt < ESCAPE_TWICE_MS) {
        this.#lastEscapeAt = Number.NEGATIVE_INFINITY;
        this.#input.leave();
        return false;
      }
      this.#lastEscapeAt = now;
    }
    return true;
  }

  /** The viewport shows the newest line (new output keeps it there; a user who scrolled up stays put). */
  get atBottom(): boolean {
    const buffer = this.term.buffer.active;
    return buffer.viewportY >= buffer.baseY;
  }

  jumpToLatest(): void {
    this.term.scrollToBottom();
    this.#set({ newLinesBelow: 0 });
  }

  /** Shows the terminal in `host` (the first time) and sizes it to fit. */
  attach(host: HTMLElement): void {
    if (!this.#opened) {
      this.term.open(host);
      this.#opened = true;
    } else if (this.term.element && this.term.element.parentElement !== host) {
      host.appendChild(this.term.element);
    }
    this.fit();
  }

  fit(): void {
    if (!this.#opened || !this.term.element?.isConnected) return;
    try {
      this.#fit.fit();
    } catch {
      // Hidden hosts have no size; the next fit after they are shown does the work.
    }
  }

  write(data: string): void {
    if (data.length === 0) return;
    this.#topMarker ??= this.#watchTrim();
    if (!this.atBottom) this.#set({ newLinesBelow: this.#view.newLinesBelow + countLines(data) });
    this.term.write(data);
    this.#atLineStart = data.endsWith('\n');
  }

  /**
   * Marks the line where `commandId` starts (call right after writing its start line). When the
   * scrollback limit drops that line, the command's beginning is gone from this terminal and the
   * view names it, so the user knows where to find the rest. `left` is called when the line leaves
   * the buffer for any reason: trimmed, the terminal cleared, or disposed.
   */
  markCommandStart(commandId: string, left?: () => void): void {
    // Writes are parsed later: mark once the start line is really in the buffer.
    this.term.write('', () => {
      const marker = this.term.registerMarker(-1);
      marker.onDispose(() => {
        this.#set({ trimmedCommandId: commandId });
        left?.();
      });
    });
  }

  #watchTrim(): IMarker | undefined {
    const marker = this.term.registerMarker(0);
    marker.onDispose(() => this.#set({ trimmed: true }));
    return marker;
  }

  /** Writes a whole line of our own, starting on a fresh line even if the output did not end with one. */
  writeLine(line: string): void {
    this.write(this.#atLineStart ? line : `\r\n${line}`);
  }

  /** The whole buffer as text (for copy when nothing is selected). */
  text(): string {
    const buffer = this.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
    while (lines.length > 0 && lines.at(-1) === '') lines.pop();
    return lines.join('\n');
  }

  /** Clears the scrollback; what was trimmed before is gone on purpose, so the notes go too. */
  clear(): void {
    this.term.clear();
    this.#topMarker?.dispose();
    this.#topMarker = undefined;
    this.#set({ trimmed: false, trimmedCommandId: null, newLinesBelow: 0 });
  }

  get view(): TerminalView {
    return this.#view;
  }

  get unfilled(): readonly UnfilledRange[] {
    return this.#view.unfilled;
  }

  setUnfilled(ranges: readonly UnfilledRange[]): void {
    this.#set({ unfilled: ranges });
  }

  /** A range of missing output was loaded from the store and written in its place. */
  countFilled(): void {
    this.#set({ filled: this.#view.filled + 1 });
  }

  #set(patch: Partial<TerminalView>): void {
    this.#view = { ...this.#view, ...patch };
    for (const listener of this.#listeners) listener();
  }

  /** For useSyncExternalStore: called when `view` changes. */
  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  dispose(): void {
    this.term.dispose();
  }
}

function countLines(data: string): number {
  let n = 0;
  for (let i = data.indexOf('\n'); i !== -1; i = data.indexOf('\n', i + 1)) n++;
  return n;
}
