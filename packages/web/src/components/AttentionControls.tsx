import { useState } from 'react';
import { rememberNotifications } from '../alerts/attention.js';
import type { Session } from '../state/session.js';
import { applyTheme, savedTheme, Theme } from '../ui/theme.js';

/** Notifications on/off (remembered) and the colour scheme, in the top bar. */
export function AttentionControls({ session }: { session: Session }) {
  const [notify, setNotify] = useState(session.attention.enabled);
  const [theme, setTheme] = useState<Theme>(savedTheme);

  const toggleNotify = async () => {
    const next = !notify;
    if (next && typeof Notification !== 'undefined' && Notification.permission === 'default') {
      await Notification.requestPermission();
    }
    const blocked = next && (typeof Notification === 'undefined' || Notification.permission === 'denied');
    if (blocked) {
      session.store.dispatch({
        type: 'notice',
        notice: {
          key: 'notifications-blocked', tone: 'error', title: 'The browser blocks notifications for this site',
          detail: 'Allow them in the site settings; the tab title still counts what happened while you were away.',
        },
      });
    }
    session.attention.setEnabled(next);
    rememberNotifications(next);
    setNotify(next);
  };

  return (
    <div className="attention-controls">
      <button
        type="button"
        className="ghost small"
        aria-pressed={notify}
        onClick={() => void toggleNotify()}
        title="Browser notifications when a command finishes or fails, an approval waits, or the connection is lost (while you look elsewhere)"
        data-testid="notifications-toggle"
      >
        {notify ? 'Notify: on' : 'Notify: off'}
      </button>
      <label className="theme-select">
        <span className="visually-hidden">Colour scheme</span>
        <select
          value={theme}
          onChange={(e) => {
            const next = e.target.value as Theme;
            applyTheme(next);
            setTheme(next);
          }}
          data-testid="theme"
        >
          <option value={Theme.system}>Theme: system</option>
          <option value={Theme.light}>Theme: light</option>
          <option value={Theme.dark}>Theme: dark</option>
        </select>
      </label>
    </div>
  );
}
