// The window: the link to the engine if it is broken, this device's status, then one view at a time.
// Without a live engine everything below the banner is greyed out: it is what hnet said last, not now.
import { uiViews, type UiView } from '../../../src-main/contract/ui-views.js';
import { HelperOffer } from '../features/helper/HelperOffer.js';
import { HostsEditor } from '../features/hosts/HostsEditor.js';
import { NetworksView } from '../features/networks/NetworksView.js';
import { PeersTable } from '../features/peers/PeersTable.js';
import { ServerView } from '../features/setup-server/ServerView.js';
import { EngineBanner } from '../features/status/EngineBanner.js';
import { OwnStatus } from '../features/status/OwnStatus.js';
import { Welcome } from '../features/welcome/Welcome.js';
import { isFirstRun } from '../features/welcome/first-run.js';
import { WhitelistEditor } from '../features/whitelist/WhitelistEditor.js';
import iconUrl from '../../../assets/icon.svg';
import { useApp } from './app-store.js';

const views: Record<UiView, { title: string; View: () => React.ReactNode }> = {
  peers: { title: 'Peers', View: PeersTable },
  whitelist: { title: 'Whitelist', View: WhitelistEditor },
  hosts: { title: 'Hostnames', View: HostsEditor },
  networks: { title: 'Networks', View: NetworksView },
  server: { title: 'Server', View: ServerView },
};

export function App() {
  const view = useApp((s) => s.view);
  const ready = useApp((s) => s.status !== undefined);
  // Set exactly while the link is down and the page shows a status from before (app-store.ts).
  const stale = useApp((s) => s.lostAt !== undefined);
  // A new device lands on its ways forward, not an empty peers table.
  const firstRun = useApp((s) => s.status !== undefined && isFirstRun(s.status));
  const { View } = firstRun && view === 'peers' ? { View: Welcome } : views[view];
  return (
    <main>
      <header>
        <h1>
          <img className="logo" src={iconUrl} alt="" width={24} height={24} />
          hnet
        </h1>
        <nav aria-label="Views">
          {uiViews.map((name) => (
            <button
              key={name}
              type="button"
              aria-current={name === view ? 'page' : undefined}
              onClick={() => useApp.setState({ view: name })}
            >
              {views[name].title}
            </button>
          ))}
        </nav>
      </header>
      <EngineBanner />
      <div className={stale ? 'live stale' : 'live'} data-stale={stale}>
        <OwnStatus />
        <HelperOffer />
        {ready && <View />}
      </div>
    </main>
  );
}
