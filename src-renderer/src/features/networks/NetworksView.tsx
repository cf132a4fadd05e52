// Joining a network: the code comes from the server's dashboard; the server's websetup node then
// pushes the network's whitelist and hostnames to this device. The list is the engine's own
// (status.networks), so it survives restarts and shows joins made with `hnet join` as well.
import { useState } from 'react';
import type { NetworkStatus } from '../../../../src-main/engine/status.js';
import { useApp } from '../../app/app-store.js';
import { FeedbackLine } from '../../app/shared.js';
import { describeNetwork } from './network-view.js';

function NetworkEntry({ network }: { network: NetworkStatus }) {
  const busy = useApp((s) => s.busy['networks'] ?? false);
  const run = useApp((s) => s.run);
  const view = describeNetwork(network);
  const leave = () =>
    void run(
      'networks',
      'network.leave',
      { websetup: network.websetup },
      'Left the network. What its websetup node had added is gone; your own entries stay.',
    );
  return (
    <li>
      <strong>{view.heading}</strong>, managed by {view.managedBy}. {view.detail}{' '}
      <button
        type="button"
        disabled={busy}
        onClick={leave}
        aria-label={`Leave the network of ${network.websetup}`}
      >
        Leave
      </button>
    </li>
  );
}

export function NetworksView() {
  const busy = useApp((s) => s.busy['networks'] ?? false);
  const run = useApp((s) => s.run);
  const ownName = useApp((s) => s.status?.hostname ?? '');
  const networks = useApp((s) => s.status?.networks ?? []);
  const [code, setCode] = useState('');
  const [hostname, setHostname] = useState('');

  const join = async () => {
    const name = hostname.trim();
    const result = await run(
      'networks',
      'join',
      { code: code.trim(), ...(name ? { hostname: name } : {}) },
      'Joined. The network’s devices appear under Peers as the server adds them.',
    );
    if (result) setCode('');
  };

  return (
    <section aria-label="Networks">
      <h2>Networks</h2>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void join();
        }}
      >
        <input
          aria-label="Join code"
          placeholder="fc94:…/join code from your dashboard"
          value={code}
          onChange={(e) => setCode(e.target.value)}
        />
        <input
          aria-label="Name for this device"
          placeholder={ownName || 'this device'}
          value={hostname}
          onChange={(e) => setHostname(e.target.value)}
        />
        <button type="submit" disabled={busy || code.trim() === ''}>
          {busy ? 'Working…' : 'Join'}
        </button>
      </form>
      <FeedbackLine feature="networks" />
      {networks.length === 0 ? (
        <p>This device has not joined a network.</p>
      ) : (
        <ul className="entries" aria-label="Joined networks">
          {networks.map((n) => (
            <NetworkEntry key={n.websetup} network={n} />
          ))}
        </ul>
      )}
    </section>
  );
}
