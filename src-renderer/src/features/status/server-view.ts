// How this device's connection and its server read at the top of the window. The base server and the
// network's websetup node are the server, shown apart from the peers: a server that stops answering
// is news, but not "the whole network is offline", since peers reached directly keep working. Pure,
// so it is unit-tested.
import { describeBaseReading } from '../../../../src-main/contract/base-readings.js';
import type { BaseStatus, NetworkStatus, PeerReach, Status } from '../../../../src-main/contract/status.js';
import { formatAgo } from '../../lib/format.js';

/** good: all is well; warn: working around something; muted: nothing to do or nothing wrong. */
export type Tone = 'good' | 'warn' | 'muted';

export interface ServerView {
  tone: Tone;
  headline: string;
  detail: string;
}

export function describeServer(status: Pick<Status, 'base' | 'connection'>): ServerView {
  const { base } = status;
  if (status.connection === 'down')
    return {
      tone: 'muted',
      headline: 'Disconnected',
      detail: 'hnet carries no traffic and talks to no one until you connect.',
    };
  const server = base.server ?? 'the base server';
  switch (base.state) {
    case 'connected':
      return {
        tone: 'good',
        headline: `Connected to ${server} over ${base.transport === 'tcp' ? 'TCP' : 'UDP'}`,
        detail: base.reason,
      };
    case 'connecting':
      return { tone: 'warn', headline: `Connecting to ${server}…`, detail: base.reason };
    case 'unreachable':
      return {
        tone: 'warn',
        headline: 'Server unreachable — direct peers keep working',
        // The engine's reason names the server and what it tries.
        detail: base.reason,
      };
    case 'offline':
      return {
        tone: 'muted',
        headline: 'No server set up',
        detail: 'Only peers on this LAN can be reached; set up a server under Server.',
      };
  }
}

const reachWords: Record<PeerReach, { word: string; tone: Tone }> = {
  online: { word: 'answering', tone: 'good' },
  idle: { word: 'idle', tone: 'muted' },
  unreachable: { word: 'not answering', tone: 'warn' },
  offline: { word: 'not connected', tone: 'warn' },
};

/** The network's websetup node, as part of the server: "Websetup of http://…: answering, …". */
export function describeWebsetup(network: NetworkStatus, now: number): { tone: Tone; text: string } {
  const { word, tone } = reachWords[network.reach];
  const of = network.server ?? network.websetup;
  const contact = network.lastContact ? `, last contact ${formatAgo(network.lastContact, now)}` : '';
  return { tone, text: `Websetup of ${of}: ${word}${contact}` };
}

/**
 * Every base server of the license as last measured, nearest first, when there is a choice: which
 * is in use, which answer and how fast, which do not and why.
 */
export function describeBases(base: BaseStatus, now: number): { server: string; tone: Tone; text: string }[] {
  const readings = base.servers ?? [];
  if (readings.length < 2) return [];
  return readings.map((reading) => ({
    server: reading.server,
    tone: reading.state === 'unreachable' ? 'warn' : reading.state === 'in use' ? 'good' : 'muted',
    text: describeBaseReading(reading, now),
  }));
}
