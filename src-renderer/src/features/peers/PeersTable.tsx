// Every peer with whether it answers (its state and when it was last heard), how its traffic goes
// and why, filterable and sortable. The header counts every peer by state. A clock ticks so "last
// heard" ages between status updates.
import { useState } from 'react';
import { peerReaches, peerSummary } from '../../../../src-main/contract/peer-states.js';
import { useApp } from '../../app/app-store.js';
import { CopyableAddress, FeedbackLine, useNow } from '../../app/shared.js';
import { formatAgo, formatBytes, formatRtt } from '../../lib/format.js';
import { describePath, reachLabels, selectPeers, type PeerQuery, type SortKey } from './peer-view.js';

const columns: { key: SortKey; title: string }[] = [
  { key: 'hostname', title: 'Hostname' },
  { key: 'address', title: 'Address' },
  { key: 'state', title: 'State' },
  { key: 'path', title: 'Path' },
  { key: 'rtt', title: 'RTT' },
  { key: 'sent', title: 'Sent' },
  { key: 'received', title: 'Received' },
  { key: 'lastHeard', title: 'Last heard' },
];

export function PeersTable() {
  const status = useApp((s) => s.status);
  const [query, setQuery] = useState<PeerQuery>({
    text: '',
    state: 'all',
    sort: 'hostname',
    descending: false,
  });
  const now = useNow(1000);
  if (!status) return null;
  const peers = selectPeers(status.peers, query);
  const sortBy = (key: SortKey) =>
    setQuery((q) => ({ ...q, sort: key, descending: q.sort === key ? !q.descending : false }));

  return (
    <section aria-label="Peers">
      <div className="toolbar">
        <h2>{peerSummary(status.peers)}</h2>
        <input
          type="search"
          placeholder="Filter by name, address, endpoint or reason"
          aria-label="Filter peers"
          value={query.text}
          onChange={(e) => setQuery((q) => ({ ...q, text: e.target.value }))}
        />
        <select
          aria-label="State"
          value={query.state}
          onChange={(e) => setQuery((q) => ({ ...q, state: e.target.value as PeerQuery['state'] }))}
        >
          <option value="all">All states</option>
          {peerReaches.map((reach) => (
            <option key={reach} value={reach}>
              {reachLabels[reach]}
            </option>
          ))}
        </select>
      </div>
      <FeedbackLine feature="peers" />
      {status.peers.length === 0 ? (
        <p className="empty">
          No peers yet. Add a device to the whitelist, or join a network, and it appears here once it talks to
          this one.
        </p>
      ) : (
        <table className="peers">
          <thead>
            <tr>
              {columns.map((c) => (
                <th
                  key={c.key}
                  aria-sort={query.sort === c.key ? (query.descending ? 'descending' : 'ascending') : 'none'}
                >
                  <button type="button" onClick={() => sortBy(c.key)}>
                    {c.title}
                  </button>
                </th>
              ))}
              <th>Why</th>
            </tr>
          </thead>
          <tbody>
            {peers.map((peer) => {
              const path = describePath(peer, status.base.server);
              return (
                <tr
                  key={peer.address}
                  data-address={peer.address}
                  data-reach={peer.reach}
                  data-path={path.kind}
                >
                  <td>{peer.hostname ?? <span className="muted">unnamed</span>}</td>
                  <td>
                    <CopyableAddress address={peer.address} feature="peers" />
                  </td>
                  <td>
                    <span className={`reach ${peer.reach}`}>{reachLabels[peer.reach]}</span>
                  </td>
                  <td>
                    <span className={`path ${peer.reach === 'online' ? path.kind : 'quiet'}`}>
                      {path.label}
                    </span>
                    {path.via && <span className="via">{path.via}</span>}
                  </td>
                  <td>{formatRtt(peer.rttMs)}</td>
                  <td>{formatBytes(peer.bytesSent)}</td>
                  <td>{formatBytes(peer.bytesReceived)}</td>
                  <td>{formatAgo(peer.lastHeard, now)}</td>
                  <td className="reason">{peer.reason}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
