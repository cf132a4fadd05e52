// `hnet status --watch` into a pipe or a file: one timestamped line per thing a user would notice
// changing (a peer's state or path, the base, the connection), never one per byte-counter or RTT
// tick. A status is reduced to facts, each with a key; a line is printed when a fact appears,
// changes or goes away.
import type { Status } from '../contract/status.js';
import { formatBase, formatConnection, formatPath, peerName } from './format-status.js';
import { plural, shortAddress } from './text.js';

/** What a user sees of one thing: `value` is compared, `line` (which may say more) is printed. */
export interface Fact {
  value: string;
  line: string;
  /** The line when the thing is no longer there. */
  gone: string;
}

export type Facts = Map<string, Fact>;

const fact = (value: string, line: string = value, gone = `${value}: gone`): Fact => ({ value, line, gone });

export function statusFacts(status: Status): Facts {
  const facts: Facts = new Map();
  facts.set('connection', fact(`hnet ${formatConnection(status)}`));
  facts.set('address', fact(`address ${shortAddress(status.address)} (${status.hostname})`));
  const base = status.base;
  facts.set(
    'base',
    fact(`base ${base.state} ${base.transport ?? ''} ${base.server ?? ''}`, `base ${formatBase(base)}`),
  );
  for (const network of status.networks)
    facts.set(
      `network ${network.websetup}`,
      fact(
        `network ${shortAddress(network.websetup)} ${network.state}, websetup ${network.reach}`,
        undefined,
        `network ${shortAddress(network.websetup)}: left`,
      ),
    );
  facts.set(
    'hosts file',
    fact(
      `/etc/hosts ${status.hostsFile.state}`,
      `/etc/hosts ${status.hostsFile.state}: ${status.hostsFile.reason}`,
    ),
  );
  const { enabled, addresses } = status.whitelist;
  facts.set(
    'whitelist',
    fact(enabled ? `whitelist on, ${plural(addresses.length, 'address', 'addresses')}` : 'whitelist off'),
  );
  facts.set('hosts', fact(`host table ${plural(status.hosts.length, 'name', 'names')}`));
  if (status.dataLane) facts.set('data lane', fact(`data lane ${status.dataLane.state}`));
  for (const peer of status.peers) {
    const who = `peer ${peerName(peer)}${peer.hostname ? ` (${shortAddress(peer.address)})` : ''}`;
    const seen = `${who}: ${peer.reach}, ${formatPath(peer, status.base)}`;
    facts.set(
      `peer ${peer.address}`,
      fact(seen, peer.reason ? `${seen} — ${peer.reason}` : seen, `${who}: no longer listed`),
    );
  }
  return facts;
}

/** The lines for what differs from `before` (everything, when there is no before). */
export function changedLines(before: Facts | undefined, after: Facts, at: Date): string[] {
  const stamp = at.toISOString().replace(/\.\d+Z$/, 'Z');
  const lines: string[] = [];
  for (const [key, now] of after)
    if (before?.get(key)?.value !== now.value) lines.push(`${stamp} ${now.line}`);
  for (const [key, was] of before ?? []) if (!after.has(key)) lines.push(`${stamp} ${was.gone}`);
  return lines;
}
