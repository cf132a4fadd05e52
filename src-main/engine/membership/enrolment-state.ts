// What enrolment keeps in the state directory (enrolment.json, mode 0600 since it holds the
// websetup secret), and what it needs from the engine.
import type { Identity } from '../../../src-protocol/identity.js';
import { JOIN_REFUSALS } from '../../../src-protocol/websetup-messages.js';
import type { Config } from '../state/config.js';
import type { JoinResult, LeaveResult, SetupServerResult } from '../../contract/control-calls.js';
import type { Outcome } from '../../contract/errors.js';
import type { NetworkStatus, PeerReport, ServerInUse } from '../../contract/status.js';
import { type HostTable } from '../state/host-table.js';
import {
  hostEntry,
  HOST_LIMIT,
  addressValidator,
  hostnameValidator,
  WHITELIST_LIMIT,
} from '../../contract/names.js';
import type { Logger } from '../log.js';
import type { ManagementLink } from '../packets/management-port.js';
import type { PersistedJson } from '../state/persisted-json.js';
import { integer, list, object, oneOf, optional, text, type Infer } from '../../../src-shared/validate.js';
import { type Whitelist } from '../state/whitelist.js';

export const ENROLMENT_FILE = 'enrolment.json';

const serverSchema = object({
  url: text({ maxLength: 2048, nonEmpty: true }),
  fingerprint: text({ maxLength: 100, nonEmpty: true }),
  baseServers: list(text({ maxLength: 64, nonEmpty: true }), 16),
  websetupHost: addressValidator,
  dashboardUrl: text({ maxLength: 2048 }),
});

const websetupSchema = object({
  address: addressValidator,
  secret: text({ maxLength: 128, nonEmpty: true }),
  hostname: hostnameValidator,
  /** Set while a join waits for its init-response. */
  pendingCode: optional(text({ maxLength: 64, nonEmpty: true })),
  /** Why websetup refused the pending join (hnet-join-refused); the device asks no more. */
  refused: optional(oneOf(JOIN_REFUSALS)),
  /** The names of the networks websetup last said (init-response) this device is in. */
  networks: optional(list(text({ maxLength: 64, nonEmpty: true }), 16)),
  lastInitResponse: optional(integer(0, Number.MAX_SAFE_INTEGER)),
  /**
   * What websetup put on this device that was not there before (its own address included), so
   * leaving removes exactly that and keeps what the user added.
   */
  pushedAddresses: optional(list(addressValidator, WHITELIST_LIMIT)),
  pushedHosts: optional(list(hostEntry, HOST_LIMIT)),
});

export const enrolmentSchema = object({
  server: optional(serverSchema),
  websetup: optional(websetupSchema),
});

export type EnrolmentState = Infer<typeof enrolmentSchema>;
export type ServerChoice = Infer<typeof serverSchema>;
export type WebsetupLink = Infer<typeof websetupSchema>;
export type EnrolmentFile = PersistedJson<EnrolmentState>;

/** What the engine hands to enrolment: the state websetup manages, websetup's port, two switches. */
export interface EnrolmentComponents {
  config: Pick<Config, 'stateDir' | 'hostname'>;
  identity: Identity;
  whitelist: Pick<Whitelist, 'add' | 'remove' | 'setEnabled' | 'state'>;
  hosts: Pick<HostTable, 'add' | 'remove' | 'entries'>;
  log: Logger;
  /** The data plane's websetup port; without one (no data plane) websetup cannot be reached. */
  management: ManagementLink | undefined;
  /** Report that something a user can see changed (the network link). */
  changed(): void;
  /** Connects to these base servers from now on and after restarts. */
  useBaseServers(servers: string[]): Promise<Outcome<unknown>>;
  /** This device's own name, as websetup's `set-hostname` or a join sets it. */
  setHostname(hostname: string): Promise<Outcome<unknown>>;
}

/** Enrolling with an hnet server (license fetch, websetup join), provided by its own modules. */
export interface Enrolment {
  /** Base servers of the server set up before (`setupServer`), to use when the config names none. */
  savedBaseServers(): Promise<string[]>;
  /** Without `fingerprint`, nothing changes: the answer names the key for the user to check. */
  setupServer(url: string, fingerprint?: string): Promise<Outcome<SetupServerResult>>;
  join(code: string, hostname: string): Promise<Outcome<JoinResult>>;
  /** Forgets the websetup link (`websetup`, if given, must be it) and what websetup put here. */
  leave(websetup?: string): Promise<Outcome<LeaveResult>>;
  /** The network this device joined (one websetup manages a device), with its reach among `peers`. */
  networks(peers: readonly PeerReport[]): NetworkStatus[];
  /** The server set up with `setupServer`, if any. */
  server?(): ServerInUse | null;
  stop(): Promise<void>;
}
export type EnrolmentFactory = (components: EnrolmentComponents) => Enrolment;
