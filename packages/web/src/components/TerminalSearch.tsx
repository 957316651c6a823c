import { useEffect, useState, type KeyboardEvent } from 'react';
import { SEARCH_DECORATIONS, type AgentTerminal } from '../terminal/agent-terminal.js';

/** A search box over the terminal's scrollback (addon-search): Enter for next, Shift+Enter for previous. */
export function TerminalSearch({ terminal }: { terminal: AgentTerminal }) {
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<{ index: number; count: number } | null>(null);

  useEffect(() => {
    const subscription = terminal.search.onDidChangeResults(({ resultIndex, resultCount }) =>
      setResults({ index: resultIndex, count: resultCount }),
    );
    return () => subscription.dispose();
  }, [terminal]);

  const find = (term: string, backwards = false) => {
    if (!term) {
      terminal.search.clearDecorations();
      setResults(null);
      return;
    }
    const options = { caseSensitive: false, decorations: SEARCH_DECORATIONS };
    if (backwards) terminal.search.findPrevious(term, options);
    else terminal.search.findNext(term, { ...options, incremental: true });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      find(query, event.shiftKey);
    } else if (event.key === 'Escape') {
      setQuery('');
      find('');
    }
  };

  return (
    <div className="terminal-search" role="search">
      <input
        type="search"
        placeholder="Search output"
        aria-label="Search terminal output"
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          find(e.target.value);
        }}
        onKeyDown={onKeyDown}
        data-testid="terminal-search"
      />
      {query && results && (
        <span className="search-count" data-testid="search-count">
          {results.count === 0 ? 'no match' : `${results.index + 1}/${results.count}`}
        </span>
      )}
    </div>
  );
}
