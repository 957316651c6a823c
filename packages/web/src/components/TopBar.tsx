import type { ConnectionStatus } from '@onsembl/client';
import type { Session } from '../state/session.js';
import { AttentionControls } from './AttentionControls.js';
import { ConnectionIndicator } from './ConnectionIndicator.js';
import { EmergencyStopButton } from './EmergencyStopButton.js';

interface Props {
  session: Session;
  view: 'live' | 'history';
  connection: ConnectionStatus;
  running: number;
  queued: number;
  onSignOut: () => void;
  onRenewToken: () => void;
}

export function TopBar({ session, view, connection, running, queued, onSignOut, onRenewToken }: Props) {
  return (
    <header className="topbar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">◆</span> Onsembl
      </div>
      <nav className="views" aria-label="Views">
        <a href="#/" aria-current={view === 'live' ? 'page' : undefined} data-testid="nav-live">
          Live
        </a>
        <a href="#/history" aria-current={view === 'history' ? 'page' : undefined} data-testid="nav-history">
          History
        </a>
      </nav>
      <ConnectionIndicator status={connection} onReconnect={() => session.client.reconnect()} onRenewToken={onRenewToken} />
      <div className="topbar-actions">
        <AttentionControls session={session} />
        <EmergencyStopButton session={session} disabled={connection.state !== 'CONNECTED'} running={running} queued={queued} />
        <button type="button" className="ghost" onClick={onSignOut} title="Forget the token and sign out">
          Sign out
        </button>
      </div>
    </header>
  );
}
