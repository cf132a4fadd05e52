// Joining a network: the code comes from the server's dashboard; the server's websetup node then
// pushes the network's whitelist and hostnames to this device.
import { useState } from 'react';
import type { JoinResult } from '../../../../src-main/engine/engine.js';
import { useApp } from '../../app/app-store.js';
import { FeedbackLine } from '../../app/shared.js';

export function NetworksView() {
  const busy = useApp((s) => s.busy['networks'] ?? false);
  const run = useApp((s) => s.run);
  const ownName = useApp((s) => s.status?.hostname ?? '');
  const [code, setCode] = useState('');
  const [hostname, setHostname] = useState('');
  const [joined, setJoined] = useState<JoinResult[]>([]);

  const join = async () => {
    const name = hostname.trim();
    const result = await run('networks', 'join', { code: code.trim(), ...(name ? { hostname: name } : {}) });
    if (!result) return;
    setJoined((list) => [...list.filter((j) => j.websetup !== result.websetup), result]);
    setCode('');
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
          {busy ? 'Joining…' : 'Join'}
        </button>
      </form>
      <FeedbackLine feature="networks" />
      {joined.length > 0 && (
        <ul className="entries" aria-label="Joined">
          {joined.map((j) => (
            <li key={j.websetup}>
              Joined as <strong>{j.hostname}</strong> through the server&apos;s websetup node{' '}
              <code>{j.websetup}</code>. The network&apos;s devices appear under Peers as the server adds
              them.
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
