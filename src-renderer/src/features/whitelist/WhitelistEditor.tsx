// Which devices may talk to this one. The engine checks every address; its sentence shows here.
import { useState } from 'react';
import { useApp } from '../../app/app-store.js';
import { CopyableAddress, FeedbackLine } from '../../app/shared.js';

export function WhitelistEditor() {
  const whitelist = useApp((s) => s.status?.whitelist);
  const busy = useApp((s) => s.busy['whitelist'] ?? false);
  const run = useApp((s) => s.run);
  const [address, setAddress] = useState('');
  if (!whitelist) return null;

  const add = async () => {
    if (await run('whitelist', 'whitelist.add', { address: address.trim() }, `Added ${address.trim()}.`))
      setAddress('');
  };

  return (
    <section aria-label="Whitelist">
      <h2>Whitelist</h2>
      <label className="switch">
        <input
          type="checkbox"
          checked={whitelist.enabled}
          disabled={busy}
          onChange={(e) =>
            void run('whitelist', e.target.checked ? 'whitelist.enable' : 'whitelist.disable', {})
          }
        />
        {whitelist.enabled
          ? 'On: only the devices below may connect'
          : 'Off: any hnet device that knows this address may connect'}
      </label>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void add();
        }}
      >
        <input
          aria-label="Address to allow"
          placeholder="fc94:…"
          value={address}
          onChange={(e) => setAddress(e.target.value)}
        />
        <button type="submit" disabled={busy || address.trim() === ''}>
          Allow
        </button>
      </form>
      <FeedbackLine feature="whitelist" />
      {whitelist.addresses.length === 0 ? (
        <p className="empty">No device is allowed yet.</p>
      ) : (
        <ul className="entries" aria-label="Allowed addresses">
          {whitelist.addresses.map((entry) => (
            <li key={entry}>
              <CopyableAddress address={entry} feature="whitelist" />
              <button
                type="button"
                disabled={busy}
                aria-label={`Remove ${entry}`}
                onClick={() =>
                  void run('whitelist', 'whitelist.remove', { address: entry }, `Removed ${entry}.`)
                }
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
