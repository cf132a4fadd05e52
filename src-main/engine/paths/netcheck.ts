// `hnet netcheck`: how this machine's network treats hnet, measured now. For each base server: a
// TCP connect (one round trip) and hnet's netcheck probe over UDP (src-protocol/netcheck-probe.ts),
// which also tells what address and port the base saw. The probe goes from one fresh socket to the
// base's STATE port and to its netcheck-only port (and to every other base), so comparing what each
// saw shows whether the NAT keeps one public port for every destination. It uses sockets of its
// own: the engine's traffic is not touched, and it works while hnet is down.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { formatEndpoint, makeEndpoint, type Endpoint } from '../../../src-protocol/endpoint.js';
import { equalBytes } from '../../../src-protocol/bytes.js';
import {
  decodeNetcheckAnswer,
  encodeNetcheckProbe,
  NETCHECK_TXID_LENGTH,
  type NetcheckAnswer,
} from '../../../src-protocol/netcheck-probe.js';
import { parseServerAddress } from './base-server-address.js';
import type { BaseCheck, MappingBehaviour, NetcheckReport } from '../../contract/diagnostics.js';
import { errorText } from '../../contract/errors.js';
import { portMappingStatus } from '../io/portmap/port-mapping-state.js';
import type { PortMappingStatus } from '../../contract/status.js';

/** A base's UDP port when the engine has not heard its STATE (the port hnet-server and Husarnet use). */
const DEFAULT_BASE_UDP_PORT = 5582;
/** A probe is sent again this often while unanswered… */
const PROBE_RETRY_MS = 400;
/** …this many times in all. */
const PROBE_TRIES = 3;
/** Waiting for an answer stops this long after the first try. */
const PROBE_WAIT_MS = 1_500;
const TCP_CONNECT_WAIT_MS = 3_000;
const DNS_WAIT_MS = 3_000;

/** What the engine knows that the check needs. */
export interface NetcheckInputs {
  /** The base servers the engine uses, as configured (`host:port`). */
  servers: readonly string[];
  /** The base's UDP endpoints from STATE, for the server the engine is connected to. */
  known: { server: string; udp: Endpoint[] } | undefined;
  lan: Omit<NetcheckReport['lan'], 'reason'> & {
    /** False while hnet is down. */
    connected: boolean;
  };
  /** The engine's port mapping; absent: this engine maps no ports. */
  portMapping?: PortMappingStatus;
}

export type NetcheckResult = Pick<NetcheckReport, 'bases' | 'mapping' | 'lan' | 'portMapping'>;

const ms = (since: number): number => Math.round((performance.now() - since) * 100) / 100;

export async function runNetcheck(inputs: NetcheckInputs): Promise<NetcheckResult> {
  const probers = new Map<'udp4' | 'udp6', UdpProber>();
  const proberFor = (ip: string): UdpProber => {
    const family = ip.includes(':') ? 'udp6' : 'udp4';
    let prober = probers.get(family);
    if (!prober) probers.set(family, (prober = new UdpProber(family)));
    return prober;
  };
  try {
    const checks = await Promise.all(
      inputs.servers.map((server) => checkBase(server, inputs.known, proberFor)),
    );
    const observations = checks.flatMap((check) => check.observations);
    return {
      bases: checks.map((check) => check.base),
      mapping: judgeMapping(observations, checks.length > 0),
      lan: lanReach(inputs.lan),
      portMapping:
        inputs.portMapping ??
        portMappingStatus({ state: 'off' }, 'this engine asks no router for a port mapping'),
    };
  } finally {
    for (const prober of probers.values()) prober.close();
  }
}

function lanReach({ connected, beaconing, interfaces, heard }: NetcheckInputs['lan']): NetcheckReport['lan'] {
  const devices = heard.length === 1 ? '1 device' : `${heard.length} devices`;
  const reason = !connected
    ? 'hnet is down: no beacons go out, none are listened for'
    : !beaconing
      ? 'no beacons go out: they start once hnet0 is open, and need UDP port 5581'
      : `beacons go out on ${interfaces.join(', ') || 'no interface (no address yet)'} every 25 s; heard ${devices} in the last minute`;
  return { beaconing, interfaces, heard, reason };
}

/** What one destination saw of one local socket. */
export interface Observation {
  destination: string;
  observed: Endpoint;
  localPort: number;
  family: 'udp4' | 'udp6';
}

async function checkBase(
  server: string,
  known: NetcheckInputs['known'],
  proberFor: (ip: string) => UdpProber,
): Promise<{ base: BaseCheck; observations: Observation[] }> {
  const base: BaseCheck = {
    server,
    tcp: { latencyMs: null, error: null },
    udp: { endpoint: null, latencyMs: null, observed: null, error: null },
  };
  const address = parseServerAddress(server);
  const ip = address ? await resolve(address.host) : { error: 'it is not host:port' };
  if (!address || typeof ip !== 'string') {
    base.tcp.error = base.udp.error = `cannot find ${server}: ${typeof ip === 'string' ? '' : ip.error}`;
    return { base, observations: [] };
  }
  const udpTarget =
    known?.server === server && known.udp[0] ? known.udp[0] : { ip, port: DEFAULT_BASE_UDP_PORT };
  base.udp.endpoint = formatEndpoint(udpTarget);
  const prober = proberFor(udpTarget.ip);
  const [tcp, udp] = await Promise.all([tcpLatency(ip, address.port), prober.probe(udpTarget)]);
  base.tcp = tcp;
  const observations: Observation[] = [];
  if ('error' in udp) {
    base.udp.error = udp.error;
    return { base, observations };
  }
  base.udp.latencyMs = udp.rttMs;
  base.udp.observed = formatEndpoint(udp.answer.observed);
  const seen = (destination: Endpoint, observed: Endpoint) =>
    observations.push({
      destination: formatEndpoint(destination),
      observed,
      localPort: prober.localPort,
      family: prober.family,
    });
  seen(udpTarget, udp.answer.observed);
  const other = udp.answer.ports.find((port) => port !== udpTarget.port);
  if (other !== undefined) {
    const second = { ip: udpTarget.ip, port: other };
    const again = await prober.probe(second);
    if (!('error' in again)) seen(second, again.answer.observed);
  }
  return { base, observations };
}

async function resolve(host: string): Promise<string | { error: string }> {
  const literal = makeEndpoint(host, 0);
  if (literal.ok) return literal.value.ip;
  let timer: NodeJS.Timeout | undefined;
  try {
    // Loaded only for a base named by a DNS name, not at every start of hnetd.
    const { lookup } = await import('node:dns/promises');
    const found = await Promise.race([
      lookup(host),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no DNS answer within ${DNS_WAIT_MS / 1000} s`)),
          DNS_WAIT_MS,
        );
      }),
    ]);
    return found.address;
  } catch (error) {
    return { error: errorText(error) };
  } finally {
    clearTimeout(timer);
  }
}

function tcpLatency(ip: string, port: number): Promise<BaseCheck['tcp']> {
  return new Promise((done) => {
    const started = performance.now();
    const socket = connect({ host: ip, port });
    const finish = (result: BaseCheck['tcp']) => {
      socket.destroy();
      done(result);
    };
    socket.setTimeout(TCP_CONNECT_WAIT_MS, () =>
      finish({ latencyMs: null, error: `no answer within ${TCP_CONNECT_WAIT_MS / 1000} s` }),
    );
    socket.once('connect', () => finish({ latencyMs: ms(started), error: null }));
    socket.once('error', (error) => finish({ latencyMs: null, error: errorText(error) }));
  });
}

/** One UDP socket that sends probes and matches answers to them. */
class UdpProber {
  private readonly socket: Socket;
  private readonly bound: Promise<void>;
  private readonly waiting = new Set<{ txid: Uint8Array; answered: (answer: NetcheckAnswer) => void }>();
  private failure: string | undefined;

  constructor(readonly family: 'udp4' | 'udp6') {
    this.socket = createSocket(family);
    this.socket.on('error', (error) => (this.failure = errorText(error)));
    this.socket.on('message', (message) => {
      const decoded = decodeNetcheckAnswer(message);
      if (!decoded.ok) return;
      for (const waiter of this.waiting)
        if (equalBytes(waiter.txid, decoded.value.txid)) waiter.answered(decoded.value);
    });
    this.bound = new Promise((resolve) => this.socket.bind(0, () => resolve()));
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  /** Sends a probe, again every PROBE_RETRY_MS while unanswered; the round trip is the answered try's. */
  async probe(target: Endpoint): Promise<{ rttMs: number; answer: NetcheckAnswer } | { error: string }> {
    await this.bound;
    const tries: { txid: Uint8Array; sentAt: number }[] = [];
    return new Promise((done) => {
      const timers: NodeJS.Timeout[] = [];
      const waiters: { txid: Uint8Array; answered: (answer: NetcheckAnswer) => void }[] = [];
      let finished = false;
      const finish = (result: { rttMs: number; answer: NetcheckAnswer } | { error: string }) => {
        if (finished) return;
        finished = true;
        for (const timer of timers) clearTimeout(timer);
        for (const waiter of waiters) this.waiting.delete(waiter);
        done(result);
      };
      const send = () => {
        const txid = randomBytes(NETCHECK_TXID_LENGTH);
        const probe = encodeNetcheckProbe(txid);
        if (!probe.ok) return finish({ error: probe.error.message });
        const sentAt = performance.now();
        tries.push({ txid, sentAt });
        const waiter = { txid, answered: (answer: NetcheckAnswer) => finish({ rttMs: ms(sentAt), answer }) };
        waiters.push(waiter);
        this.waiting.add(waiter);
        this.socket.send(probe.value, target.port, target.ip, (error) => {
          if (error) this.failure = errorText(error);
        });
      };
      for (let i = 0; i < PROBE_TRIES; i++) timers.push(setTimeout(send, i * PROBE_RETRY_MS));
      timers.push(
        setTimeout(() => {
          const why = this.failure ? `: ${this.failure}` : '';
          finish({
            error: `no answer to ${tries.length} probes within ${PROBE_WAIT_MS / 1000} s${why} (UDP blocked, or not an hnet base)`,
          });
        }, PROBE_WAIT_MS),
      );
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** This machine's own addresses, loopback included: a base that sees one of them sees no NAT. */
function ownIps(): Set<string> {
  const ips = new Set<string>();
  for (const entries of Object.values(networkInterfaces()))
    for (const entry of entries ?? []) {
      const ip = makeEndpoint(entry.address, 0);
      if (ip.ok) ips.add(ip.value.ip);
    }
  return ips;
}

export function judgeMapping(
  observations: readonly Observation[],
  anyBase: boolean,
  own: ReadonlySet<string> = ownIps(),
): NetcheckReport['mapping'] {
  const observed = observations.map((o) => ({
    destination: o.destination,
    endpoint: formatEndpoint(o.observed),
  }));
  const verdict = (behaviour: MappingBehaviour, reason: string) => ({ behaviour, observed, reason });
  if (observations.some((o) => own.has(o.observed.ip) && o.observed.port === o.localPort))
    return verdict('none', 'no NAT: the base sees this machine’s own address and port');
  // Only what one socket showed two destinations can be compared.
  const byFamily = ['udp4', 'udp6'].map((family) => observations.filter((o) => o.family === family));
  const compared = byFamily.find((group) => group.length >= 2);
  if (!compared) {
    const why = !anyBase
      ? 'no base server is configured'
      : observations.length === 0
        ? 'no base server answered over UDP'
        : 'only one base port answered (a base without hnet’s netcheck port, or a firewall in front of it)';
    return verdict('unknown', `cannot tell: ${why}`);
  }
  const [first] = compared;
  const same = compared.every(
    (o) => o.observed.ip === first!.observed.ip && o.observed.port === first!.observed.port,
  );
  if (same)
    return verdict(
      'endpoint-independent',
      `every destination saw ${formatEndpoint(first!.observed)}: peers can reach this machine at the port the base saw`,
    );
  return verdict(
    'endpoint-dependent',
    'each destination saw another public port (a symmetric NAT): a direct path needs the peer’s side to be open, else traffic stays with the base',
  );
}
