// This device at a glance: its name and address, Connect / Disconnect, and its server (the base it
// reaches the others through and the network's websetup node), apart from the peers.
import { useApp } from '../../app/app-store.js';
import { CopyableAddress, FeedbackLine, useNow } from '../../app/shared.js';
import { describeBases, describeServer, describeWebsetup } from './server-view.js';

function ConnectButton() {
  const connection = useApp((s) => s.status?.connection);
  const live = useApp((s) => s.link.state === 'up');
  const busy = useApp((s) => s.busy['connection'] ?? false);
  const run = useApp((s) => s.run);
  if (!connection) return null;
  const next = connection === 'up' ? 'down' : 'up';
  return (
    <button
      type="button"
      disabled={busy || !live}
      onClick={() => void run('connection', 'connection.set', { connection: next })}
    >
      {next === 'down' ? 'Disconnect' : 'Connect'}
    </button>
  );
}

export function OwnStatus() {
  const status = useApp((s) => s.status);
  // A missing helper has its own offer below; repeating it here would only add noise.
  const helperMissing = useApp((s) => s.helper?.installed === false);
  const now = useNow(5000);
  if (!status) return null;
  const server = describeServer(status);
  return (
    <section className={`own-status tone-${server.tone}`} aria-label="This device">
      <div>
        <h2>{status.hostname}</h2>
        <CopyableAddress address={status.address} feature="own-address" />
        <FeedbackLine feature="own-address" />
      </div>
      <div className="server" role="group" aria-label="Server">
        <strong data-tone={server.tone}>{server.headline}</strong>
        {server.detail && <span className="reason">{server.detail}</span>}
        {status.connection === 'up' &&
          describeBases(status.base, now).map((reading) => (
            <span key={reading.server} className="base-reading" data-tone={reading.tone}>
              {reading.text}
            </span>
          ))}
        {status.connection === 'up' &&
          status.networks.map((network) => {
            const websetup = describeWebsetup(network, now);
            return (
              <span key={network.websetup} className="websetup" data-tone={websetup.tone}>
                {websetup.text}
              </span>
            );
          })}
        <div className="row">
          <ConnectButton />
        </div>
        <FeedbackLine feature="connection" />
      </div>
      {status.hostsFile.state === 'failed' && !helperMissing && (
        <p className="feedback error">Hostnames are not in /etc/hosts: {status.hostsFile.reason}</p>
      )}
    </section>
  );
}
