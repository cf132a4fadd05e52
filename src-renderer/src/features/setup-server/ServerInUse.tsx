// The server this device uses: its address, its key fingerprint (what others compare), its dashboard.
import { useApp } from '../../app/app-store.js';
import { CopyButton } from '../../app/shared.js';
import { setupCommand } from './server-setup-view.js';

export function ServerInUse() {
  const server = useApp((s) => s.status?.server);
  const base = useApp((s) => s.status?.base);
  if (!server)
    return (
      <p className="empty">
        {base?.server
          ? `No server set up: this device uses the base server ${base.server} from its configuration.`
          : 'No server set up yet: only devices on this LAN can be reached.'}
      </p>
    );
  return (
    <dl className="facts">
      <dt>Address</dt>
      <dd className="with-copy">
        <code>{server.url}</code>
        <CopyButton text={server.url} what="server address" feature="server" />
      </dd>
      <dt>Key fingerprint</dt>
      <dd className="with-copy">
        <code className="fingerprint">{server.fingerprint}</code>
        <CopyButton text={server.fingerprint} what="fingerprint" feature="server" />
      </dd>
      <dt>Dashboard</dt>
      <dd>
        {server.dashboardUrl ? (
          <a href={server.dashboardUrl} target="_blank" rel="noreferrer">
            Open the dashboard
          </a>
        ) : (
          'its license names none'
        )}
      </dd>
      <dt>Other devices</dt>
      <dd className="with-copy">
        <code className="command">{setupCommand(server.url, server.fingerprint)}</code>
        <CopyButton
          text={setupCommand(server.url, server.fingerprint)}
          what="setup command"
          feature="server"
        />
      </dd>
    </dl>
  );
}
