// Every peer with its path (direct with the endpoint, or tunnelled through the base) and why,
// filterable and sortable. A clock ticks so "last seen" ages between status updates.
import { useEffect, useState } from 'react';
import { peerSummary } from '../../../../src-main/electron/peer-paths.js';
import { useApp } from '../../app/app-store.js';
import { CopyableAddress, FeedbackLine } from '../../app/shared.js';
import { formatAgo, formatBytes, formatRtt } from '../../lib/format.js';
import { describePath, selectPeers, type PeerQuery, type SortKey } from './peer-view.js';

const columns: { key: SortKey; title: string }[] = [
  { key: 'hostname', title: 'Hostname' },
  { key: 'address', title: 'Address' },
  { key: 'path', title: 'Path' },
  { key: 'rtt', title: 'RTT' },
  { key: 'sent', title: 'Sent' },
  { key: 'received', title: 'Received' },
  { key: 'lastSeen', title: 'Last seen' },
];

function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

export function PeersTable() {
  const status = useApp((s) => s.status);
  const [query, setQuery] = useState<PeerQuery>({
    text: '',
    kind: 'all',
    sort: 'hostname',
    descending: false,
  });
  const now = useNow(5000);
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
          aria-label="Path"
          value={query.kind}
          onChange={(e) => setQuery((q) => ({ ...q, kind: e.target.value as PeerQuery['kind'] }))}
        >
          <option value="all">All paths</option>
          <option value="direct">Direct</option>
          <option value="tunnelled">Tunnelled</option>
          <option value="idle">Idle</option>
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
                <tr key={peer.address} data-address={peer.address} data-path={path.kind}>
                  <td>{peer.hostname ?? <span className="muted">unnamed</span>}</td>
                  <td>
                    <CopyableAddress address={peer.address} feature="peers" />
                  </td>
                  <td>
                    <span className={`path ${path.kind}`}>{path.label}</span>
                    {path.via && <span className="via">{path.via}</span>}
                  </td>
                  <td>{formatRtt(peer.rttMs)}</td>
                  <td>{formatBytes(peer.bytesSent)}</td>
                  <td>{formatBytes(peer.bytesReceived)}</td>
                  <td>{formatAgo(peer.lastHandshake, now)}</td>
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
