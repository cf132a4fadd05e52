// Port mapping, the engine's wing that asks the home router to forward a public UDP port to the
// engine's socket, so peers behind NATs that cannot be punched still reach us directly. It may
// import the protocol codecs (src-protocol/portmap) and the engine's logger and errors, nothing else.
//
//   const mapper = createPortMapper({ log });
//   mapper.start(5582, (state) => …);   // state(): see port-mapping-state.ts
//   await mapper.stop();                 // deletes the mapping
//
// It tries PCP, then NAT-PMP, then UPnP IGD on the default gateway, keeps the first that maps,
// checks it every minute (and renews it by half its lease), notices a router that restarted or
// stopped answering and maps again, and retries with backoff when nothing maps.
import { randomBytes } from 'node:crypto';
import { PCP_NONCE_LENGTH, PCP_SERVER_PORT } from '../../../../src-protocol/portmap/pcp.js';
import { SSDP_PORT } from '../../../../src-protocol/portmap/ssdp.js';
import { failure, success, type Outcome } from '../../../contract/errors.js';
import type { Logger } from '../../log.js';
import { readDefaultGateways, type DefaultGateways } from './default-gateway.js';
import { type Mapping, type MappingSession, type MappingTarget, type PortMapFailure } from './mapping.js';
import { PROTOCOL_NAMES } from '../../../contract/port-mapping.js';
import { type PortMapProtocol } from '../../../contract/status.js';
import { natPmpSession } from './nat-pmp-session.js';
import { pcpSession } from './pcp-session.js';
import type { PortMappingState } from './port-mapping-state.js';
import { upnpSession } from './upnp-session.js';

export interface PortMapper {
  /** Starts mapping `port` (UDP); `onChange` hears every change but lease renewals. Once per stop(). */
  start(port: number, onChange: (state: PortMappingState) => void): Outcome<void>;
  /** Deletes the mapping (a few seconds at most) and turns off. */
  stop(): Promise<void>;
  state(): PortMappingState;
}

export interface PortMapperOptions {
  log?: Logger;
  /** Which to try, in order. */
  protocols?: readonly PortMapProtocol[];
  /** Where the gateway comes from; tests point it at a fake router. */
  findGateways?: () => Promise<DefaultGateways>;
  /** PCP and NAT-PMP's UDP port on the router. */
  pcpPort?: number;
  ssdpPort?: number;
  ssdpMulticast?: boolean;
  /** Waits between UDP resends (PCP, NAT-PMP, SSDP); the sum is how long one protocol may take. */
  retryDelaysMs?: readonly number[];
  httpTimeoutMs?: number;
  /** Lease to ask for. */
  lifetimeSeconds?: number;
  /** How often a held mapping is renewed even when its lease is long: how fast a restart is noticed. */
  checkEveryMs?: number;
  /** First wait before asking again when nothing mapped; doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
  /** The name routers show for the mapping. */
  description?: string;
}

// RFC 6886 asks for 250 ms doubling; three tries bound a silent protocol to under 2 s.
const DEFAULT_RETRY_DELAYS_MS = [250, 500, 1000];
// RFC 6886 §3.3's recommended lease; also what UPnP routers are asked for.
const DEFAULT_LIFETIME_SECONDS = 7200;
const DEFAULT_CHECK_EVERY_MS = 60_000;
const DEFAULT_RETRY_MS = 30_000;
const DEFAULT_MAX_RETRY_MS = 10 * 60_000;
// A router granting seconds-long leases must not make us ask in a tight loop.
const MIN_RENEW_MS = 1000;

const ALL_PROTOCOLS: readonly PortMapProtocol[] = ['pcp', 'nat-pmp', 'upnp'];

function listProtocols(protocols: readonly PortMapProtocol[]): string {
  const names = protocols.map((p) => PROTOCOL_NAMES[p]);
  return names.length < 2 ? (names[0] ?? 'nothing') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/** Why nothing mapped, in one phrase: what a router said, or that none answered. */
function reasonFor(failures: readonly PortMapFailure[], protocols: readonly PortMapProtocol[]): string {
  const said = failures.filter((f) => f.kind !== 'NoAnswer').map((f) => f.message);
  return said.length > 0 ? said.join('; ') : `no router answered ${listProtocols(protocols)}`;
}

export function createPortMapper(options: PortMapperOptions = {}): PortMapper {
  const log = options.log;
  const protocols = options.protocols ?? ALL_PROTOCOLS;
  const findGateways = options.findGateways ?? readDefaultGateways;
  const retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const lifetimeSeconds = options.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS;
  const checkEveryMs = options.checkEveryMs ?? DEFAULT_CHECK_EVERY_MS;
  const retryMs = options.retryMs ?? DEFAULT_RETRY_MS;
  const maxRetryMs = options.maxRetryMs ?? DEFAULT_MAX_RETRY_MS;

  let current: PortMappingState = { state: 'off' };
  let port: number | undefined;
  let onChange: ((state: PortMappingState) => void) | undefined;
  let session: { gateway: string; session: MappingSession } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopping = new AbortController();
  let running: Promise<void> | undefined;
  let misses = 0;
  // One PCP nonce per start: a router that still holds our mapping from before a failed renewal
  // refuses the same port under another nonce (RFC 6887 §11.3), and renews it under this one.
  let nonce = randomBytes(PCP_NONCE_LENGTH);

  function newSession(protocol: PortMapProtocol, target: MappingTarget): MappingSession {
    const udp = { port: options.pcpPort ?? PCP_SERVER_PORT, retryDelaysMs };
    switch (protocol) {
      case 'pcp':
        return pcpSession(target, udp);
      case 'nat-pmp':
        return natPmpSession(target, udp);
      case 'upnp':
        return upnpSession(target, {
          ssdp: {
            port: options.ssdpPort ?? SSDP_PORT,
            retryDelaysMs,
            multicast: options.ssdpMulticast ?? true,
          },
          httpTimeoutMs: options.httpTimeoutMs ?? 2000,
          description: options.description ?? 'hnet',
        });
    }
  }

  function publish(next: PortMappingState): void {
    current = next;
    onChange?.(next);
  }

  /**
   * Records a granted mapping. A renewal of the same mapping is no news for onChange; a new one is,
   * even on the same port: the router restarted, or we had to start over with it.
   */
  function holdMapping(mapping: Mapping, renewal: boolean): void {
    const now = Date.now();
    const expiresAt = mapping.lifetimeSeconds === null ? null : now + mapping.lifetimeSeconds * 1000;
    const before = current;
    const same =
      renewal &&
      !mapping.routerRestarted &&
      before.state === 'mapped' &&
      before.external.ip === mapping.external.ip &&
      before.external.port === mapping.external.port;
    const next: PortMappingState = {
      state: 'mapped',
      protocol: mapping.protocol,
      gateway: mapping.gateway,
      internalPort: mapping.internalPort,
      external: mapping.external,
      expiresAt,
      since: same ? before.since : now,
    };
    misses = 0;
    if (same) {
      current = next;
      return;
    }
    const again = before.state === 'mapped';
    log?.info(again ? 'portmap-mapped-again' : 'portmap-mapped', {
      protocol: mapping.protocol,
      gateway: mapping.gateway,
      external: `${mapping.external.ip}:${mapping.external.port}`,
      lifetime: mapping.lifetimeSeconds,
      reason: !again
        ? undefined
        : mapping.routerRestarted
          ? 'the router restarted and had forgotten the mapping'
          : 'the mapping changed or had to be made anew',
    });
    publish(next);
  }

  function giveUp(reason: string, details: readonly PortMapFailure[] = []): void {
    misses++;
    if (current.state === 'unmapped' && current.reason === reason) return;
    log?.info('portmap-unmapped', { reason, details: details.map((f) => f.message).join('; ') || undefined });
    publish({ state: 'unmapped', reason });
  }

  async function cycle(signal: AbortSignal, internalPort: number): Promise<void> {
    const gateways = await findGateways();
    if (signal.aborted) return;
    const gateway = gateways.ipv4?.ip;
    if (!gateway) {
      session = undefined;
      return giveUp(
        gateways.ipv6
          ? 'no IPv4 default gateway (mapping over IPv6 is not supported yet)'
          : 'no default gateway',
      );
    }
    if (session?.gateway === gateway) {
      const renewed = await session.session.map(signal);
      if (signal.aborted) return;
      if (renewed.ok) return holdMapping(renewed.value, true);
      log?.info('portmap-renewal-failed', {
        protocol: session.session.protocol,
        gateway,
        reason: renewed.error.message,
      });
    } else if (session) {
      // The old router is not ours to talk to any more (its address may be someone else's on this
      // network); its lease runs out by itself.
      log?.info('portmap-gateway-changed', { from: session.gateway, to: gateway });
    }
    session = undefined;

    const target = { gateway, internalPort, lifetimeSeconds, nonce };
    const failures: PortMapFailure[] = [];
    for (const protocol of protocols) {
      const candidate = newSession(protocol, target);
      const outcome = await candidate.map(signal);
      if (outcome.ok) {
        // Kept even when stopping meanwhile: stop() then deletes it.
        session = { gateway, session: candidate };
        if (!signal.aborted) holdMapping(outcome.value, false);
        return;
      }
      if (signal.aborted) return;
      failures.push(outcome.error);
    }
    giveUp(reasonFor(failures, protocols), failures);
  }

  function nextDelay(): number {
    if (current.state !== 'mapped') return Math.min(maxRetryMs, retryMs * 2 ** Math.max(0, misses - 1));
    if (current.expiresAt === null) return checkEveryMs;
    const halfLease = (current.expiresAt - Date.now()) / 2;
    return Math.max(MIN_RENEW_MS, Math.min(checkEveryMs, halfLease));
  }

  function schedule(delayMs: number, internalPort: number): void {
    const signal = stopping.signal;
    timer = setTimeout(() => {
      running = cycle(signal, internalPort)
        .catch((error: unknown) => {
          log?.error('portmap-failed', { reason: error instanceof Error ? error.message : String(error) });
          misses++;
        })
        .finally(() => {
          running = undefined;
          if (!signal.aborted) schedule(nextDelay(), internalPort);
        });
    }, delayMs);
  }

  return {
    start(newPort, listener) {
      if (port !== undefined) return failure('BadState', 'Port mapping is already running; stop it first.');
      if (!Number.isInteger(newPort) || newPort < 1 || newPort > 0xffff)
        return failure('BadParams', `${newPort} is not a UDP port to map.`);
      port = newPort;
      onChange = listener;
      stopping = new AbortController();
      misses = 0;
      nonce = randomBytes(PCP_NONCE_LENGTH);
      publish({ state: 'mapping' });
      schedule(0, newPort);
      return success(undefined);
    },
    async stop() {
      if (port === undefined) return;
      port = undefined;
      clearTimeout(timer);
      stopping.abort();
      await running;
      const held = session;
      session = undefined;
      if (held) {
        await held.session.unmap(new AbortController().signal);
        log?.info('portmap-deleted', { protocol: held.session.protocol, gateway: held.gateway });
      }
      publish({ state: 'off' });
      onChange = undefined;
    },
    state: () => current,
  };
}
