// Devices heard on this LAN by their beacons: found without any server. One the whitelist keeps out
// can be let in here; it then connects directly over the LAN.
import { useApp } from '../../app/app-store.js';
import { CopyableAddress, FeedbackLine, useNow } from '../../app/shared.js';
import { describeNearby } from './nearby-view.js';

export function NearbyDevices() {
  const nearby = useApp((s) => s.status?.nearby);
  const status = useApp((s) => s.status);
  const busy = useApp((s) => s.busy['nearby'] ?? false);
  const run = useApp((s) => s.run);
  const now = useNow(5000);
  if (!nearby || !status) return null;
  return (
    <section aria-label="Devices nearby">
      <h2>Devices nearby</h2>
      {nearby.length === 0 ? (
        <p className="empty">
          No other hnet device heard on this network yet. Devices on the same LAN show up here within seconds,
          with no server at all.
        </p>
      ) : (
        <ul className="entries" aria-label="Devices heard on this network">
          {nearby.map((device) => {
            const view = describeNearby(device, status, now);
            return (
              <li key={view.address}>
                <strong>{view.name}</strong>
                {view.name !== view.address && <CopyableAddress address={view.address} feature="nearby" />}
                <span className="muted">{view.detail}</span>
                {!view.allowed && (
                  <button
                    type="button"
                    disabled={busy}
                    aria-label={`Allow ${view.name}`}
                    onClick={() =>
                      void run(
                        'nearby',
                        'whitelist.add',
                        { address: view.address },
                        `${view.name} may connect now.`,
                      )
                    }
                  >
                    Allow
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <FeedbackLine feature="nearby" />
    </section>
  );
}
