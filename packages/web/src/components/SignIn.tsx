import { useId, useState, type FormEvent } from 'react';

interface Props {
  onToken: (token: string) => void;
  /** Why a new token is needed (AUTH_FAILED), shown above the form. */
  error?: string | null;
  title?: string;
  /** Shown as a Cancel button when given (renewing a token is optional). */
  onCancel?: () => void;
}

/** Paste-a-token form; also shown over the dashboard when the server refuses the token. */
export function SignIn({ onToken, error = null, title = 'Sign in to Onsembl', onCancel }: Props) {
  const [value, setValue] = useState('');
  const inputId = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const token = value.trim();
    if (token) onToken(token);
  };
  return (
    <form className="signin" onSubmit={submit} aria-labelledby={`${inputId}-title`} data-testid="signin-form">
      <h1 id={`${inputId}-title`}>
        <span className="brand-mark" aria-hidden="true">◆</span> {title}
      </h1>
      {error && (
        <p className="signin-error" role="alert" data-testid="signin-error">
          {error}
        </p>
      )}
      <label htmlFor={inputId}>Dashboard token</label>
      <input
        id={inputId}
        type="password"
        autoComplete="off"
        spellCheck={false}
        placeholder="Paste your dashboard token"
        value={value}
        onChange={(e) => setValue(e.target.value)}
        data-testid="signin-token"
      />
      <div className="dialog-actions">
        {onCancel && (
          <button type="button" className="ghost" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" className="primary" disabled={value.trim() === ''}>
          {onCancel ? 'Use this token' : 'Sign in'}
        </button>
      </div>
      <p className="hint">
        <code>npm start</code> prints a Dashboard link that signs you in directly; <code>onsembl token --role dashboard</code>{' '}
        prints a token to paste. The token is kept for this browser tab only.
      </p>
    </form>
  );
}
