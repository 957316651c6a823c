import { useEffect } from 'react';
import type { Notice } from '../state/dashboard-state.js';

interface Props {
  notices: readonly Notice[];
  onDismiss: (id: number) => void;
}

const VISIBLE_MS = 10_000;

/** Readable notices for errors (RATE_LIMIT, QUEUE_FULL, …) instead of console noise. */
export function Toasts({ notices, onDismiss }: Props) {
  return (
    <div className="toasts" aria-live="assertive" data-testid="toasts">
      {notices.map((notice) => (
        <Toast key={notice.id} notice={notice} onDismiss={onDismiss} />
      ))}
    </div>
  );
}

function Toast({ notice, onDismiss }: { notice: Notice; onDismiss: (id: number) => void }) {
  useEffect(() => {
    const timer = setTimeout(() => onDismiss(notice.id), VISIBLE_MS);
    return () => clearTimeout(timer);
  }, [notice.id, onDismiss]);
  return (
    <div className={`toast toast-${notice.tone}`} role="alert" data-testid="toast">
      <div className="toast-text">
        <strong>{notice.title}</strong>
        <span>{notice.detail}</span>
      </div>
      <button type="button" className="ghost small" onClick={() => onDismiss(notice.id)} aria-label="Dismiss">
        ×
      </button>
    </div>
  );
}
