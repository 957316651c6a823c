import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon, type ISearchOptions } from '@xterm/addon-search';
import { Terminal } from '@xterm/xterm';

export interface UnfilledRange {
  commandId: string;
  agentId: string;
  from: number;
  /** Exclusive. */
  to: number;
  reason: string;
}

export interface FillState {
  /** Ranges that could not be loaded (offered by "Load missing output"). */
  unfilled: readonly UnfilledRange[];
  /** How many missing ranges were loaded from the store in place. */
  filled: number;
}

const THEME = {
  background: '#0d1117', foreground: '#d6dde6', cursor: '#0d1117', selectionBackground: '#3a5a85',
  black: '#1b2230', red: '#ff6b6b', green: '#4cd37c', yellow: '#f5c451', blue: '#5aa7ff', magenta: '#d38cf5',
  cyan: '#44d1df', white: '#d6dde6', brightBlack: '#6b7789',
};

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
  /** What the toolbar shows about output the live stream did not bring (see TerminalFeed). */
  #fills: FillState = { unfilled: [], filled: 0 };
  readonly #listeners = new Set<() => void>();

  constructor(options: { scrollback?: number } = {}) {
    this.term = new Terminal({
      convertEol: true, // agents without a PTY send bare \n
      disableStdin: true, // output only: commands go through the command form
      screenReaderMode: true, // an accessibility tree of the text, for assistive tech and tests
      scrollback: options.scrollback ?? 10_000,
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
    this.term.write(data);
    this.#atLineStart = data.endsWith('\n');
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

  clear(): void {
    this.term.clear();
  }

  get fills(): FillState {
    return this.#fills;
  }

  get unfilled(): readonly UnfilledRange[] {
    return this.#fills.unfilled;
  }

  setUnfilled(ranges: readonly UnfilledRange[]): void {
    this.#setFills({ ...this.#fills, unfilled: ranges });
  }

  /** A range of missing output was loaded from the store and written in its place. */
  countFilled(): void {
    this.#setFills({ ...this.#fills, filled: this.#fills.filled + 1 });
  }

  #setFills(fills: FillState): void {
    this.#fills = fills;
    for (const listener of this.#listeners) listener();
  }

  /** For useSyncExternalStore: called when `fills` changes. */
  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  dispose(): void {
    this.term.dispose();
  }
}
