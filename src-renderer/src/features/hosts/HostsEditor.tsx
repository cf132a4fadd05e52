// Names for addresses: the engine keeps them and writes them to /etc/hosts.
import { useState } from 'react';
import { useApp } from '../../app/app-store.js';
import { CopyableAddress, FeedbackLine } from '../../app/shared.js';

export function HostsEditor() {
  const hosts = useApp((s) => s.status?.hosts);
  const busy = useApp((s) => s.busy['hosts'] ?? false);
  const run = useApp((s) => s.run);
  const [hostname, setHostname] = useState('');
  const [address, setAddress] = useState('');
  if (!hosts) return null;

  const add = async () => {
    const entry = { hostname: hostname.trim(), address: address.trim() };
    if (await run('hosts', 'hosts.add', entry, `${entry.hostname} now points at ${entry.address}.`)) {
      setHostname('');
      setAddress('');
    }
  };

  return (
    <section aria-label="Hostnames">
      <h2>Hostnames</h2>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void add();
        }}
      >
        <input
          aria-label="Hostname"
          placeholder="laptop"
          value={hostname}
          onChange={(e) => setHostname(e.target.value)}
        />
        <input
          aria-label="Address"
          placeholder="fc94:…"
          value={address}
          onChange={(e) => setAddress(e.target.value)}
        />
        <button type="submit" disabled={busy || hostname.trim() === '' || address.trim() === ''}>
          Add name
        </button>
      </form>
      <FeedbackLine feature="hosts" />
      {hosts.length === 0 ? (
        <p className="empty">No names yet.</p>
      ) : (
        <table className="hosts">
          <tbody>
            {hosts.map((entry) => (
              <tr key={entry.hostname}>
                <td>{entry.hostname}</td>
                <td>
                  <CopyableAddress address={entry.address} feature="hosts" />
                </td>
                <td>
                  <button
                    type="button"
                    disabled={busy}
                    aria-label={`Remove ${entry.hostname}`}
                    onClick={() =>
                      void run(
                        'hosts',
                        'hosts.remove',
                        { hostname: entry.hostname },
                        `Removed ${entry.hostname}.`,
                      )
                    }
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
