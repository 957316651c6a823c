import type { ConnectionStatus } from '@onsembl/client';
import type { Session } from '../state/session.js';
import { ConnectionIndicator } from './ConnectionIndicator.js';
import { EmergencyStopButton } from './EmergencyStopButton.js';

interface Props {
  session: Session;
  connection: ConnectionStatus;
  running: number;
  queued: number;
  onSignOut(): void;
  onRenewToken(): void;
}

export function TopBar({ session, connection, running, queued, onSignOut, onRenewToken }: Props) {
  return (
    <header className="topbar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">◆</span> Onsembl
      </div>
      <ConnectionIndicator status={connection} onReconnect={() => session.client.reconnect()} onRenewToken={onRenewToken} />
      <div className="topbar-actions">
        <EmergencyStopButton session={session} disabled={connection.state !== 'CONNECTED'} running={running} queued={queued} />
        <button type="button" className="ghost" onClick={onSignOut} title="Forget the token and sign out">
          Sign out
        </button>
      </div>
    </header>
  );
}
