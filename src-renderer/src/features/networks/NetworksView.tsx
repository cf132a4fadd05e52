// The networks this device is in: each by its name, this device's name in it, who else is in it and
// whether they answer, and leaving. The list is the engine's own (status.networks), so it survives
// restarts and shows joins made with `hnet join` as well.
import type { NetworkStatus } from '../../../../src-main/contract/status.js';
import { useApp } from '../../app/app-store.js';
import { CopyableAddress } from '../../app/shared.js';
import { JoinForm } from './JoinForm.js';
import { describeNetwork, networkMembers } from './network-view.js';

const reachWords = {
  online: 'answering',
  idle: 'idle',
  unreachable: 'not answering',
  offline: 'not connected',
};

function NetworkCard({ network }: { network: NetworkStatus }) {
  const busy = useApp((s) => s.busy['networks'] ?? false);
  const run = useApp((s) => s.run);
  const peers = useApp((s) => s.status?.peers ?? []);
  const view = describeNetwork(network);
  const members = networkMembers(network, peers);
  const leave = () =>
    void run(
      'networks',
      'network.leave',
      { websetup: network.websetup },
      'Left the network. What its websetup node had added is gone; your own entries stay.',
    );
  return (
    <article className="card" aria-label={view.name} data-state={network.state}>
      <header className="card-head">
        <h3>{view.name}</h3>
        <span className="badge" data-tone={view.tone}>
          {view.heading}
        </span>
      </header>
      <p className="detail">{view.detail}</p>
      {network.state === 'joined' && (
        <>
          <h4>Who else is in it</h4>
          {members.length === 0 ? (
            <p className="empty">
              Nobody else yet: devices that join with a code for this network appear here.
            </p>
          ) : (
            <ul className="members" aria-label={`Devices in ${view.name}`}>
              {members.map((member) => (
                <li key={member.address} data-reach={member.reach}>
                  <strong>{member.name}</strong>
                  <span className={`reach ${member.reach}`}>{reachWords[member.reach]}</span>
                  {member.name !== member.address && (
                    <CopyableAddress address={member.address} feature="networks" />
                  )}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <p className="muted small">Managed by {view.managedBy}.</p>
      <div className="actions">
        {network.dashboardUrl && (
          <a className="button quiet" href={network.dashboardUrl} target="_blank" rel="noreferrer">
            Open the dashboard
          </a>
        )}
        <button
          type="button"
          className="danger"
          disabled={busy}
          onClick={leave}
          aria-label={`Leave ${view.name}`}
        >
          Leave
        </button>
      </div>
    </article>
  );
}

export function NetworksView() {
  const networks = useApp((s) => s.status?.networks ?? []);
  return (
    <>
      <section aria-label="Networks">
        <h2>Networks</h2>
        {networks.length === 0 ? (
          <p className="empty">This device has not joined a network. Join one with a code below.</p>
        ) : (
          <div className="cards" role="list" aria-label="Joined networks">
            {networks.map((n) => (
              <div role="listitem" key={n.websetup}>
                <NetworkCard network={n} />
              </div>
            ))}
          </div>
        )}
      </section>
      <section aria-label="Join a network">
        <h2>Join a network</h2>
        <JoinForm />
      </section>
    </>
  );
}
