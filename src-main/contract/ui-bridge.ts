// Every call the UI may make, declared once. The preload bridge, the Electron main-side handlers,
// the browser-mode WebSocket server and the renderer's client are all typed from `bridgeCalls`.
//
// Engine calls are not re-declared: each one names its entry in the engine's `controlCalls` and
// so inherits its parameter validator, its sentences and its result type, so the window and the CLI
// read a server address the same way. The UI sees a subset of them, plus calls only the shell can
// answer (hosting a server, installing the helper, the clipboard).
//
// This module imports nothing from 'electron', so it is tested under plain Node.
import {
  controlCalls,
  type CallName,
  type ParamsOf as ControlParamsOf,
  type ResultOf as ControlResultOf,
} from './control-calls.js';
import type { EngineErrorKind } from './errors.js';
import type { StatusUpdate } from './events.js';
import { object, text, type Checked, type Validator } from '../../src-shared/validate.js';
import type { HostingStep } from './hosting-steps.js';
import type { UiView } from './ui-views.js';

export type { UiView };

/** Where a call is answered: by the engine (over its control API) or by the shell hosting the UI. */
export type CallSite = 'engine' | 'shell';

interface BridgeCallSpec<P, R, S extends CallSite> {
  site: S;
  params: Validator<P>;
  /** Never set: carries the result type. */
  readonly result?: R;
}

const engineCall = <K extends CallName>(
  name: K,
): BridgeCallSpec<ControlParamsOf<K>, ControlResultOf<K>, 'engine'> => ({
  site: 'engine',
  params: controlCalls[name].params as Validator<ControlParamsOf<K>>,
});

const shellCall =
  <R>() =>
  <P>(params: Validator<P>): BridgeCallSpec<P, R, 'shell'> => ({ site: 'shell', params });

export interface HostedServer {
  /** The server's address for other devices: `hnet setup-server <url> --fingerprint …`. */
  url: string;
  /** Its license key, as hnet-server printed it and as the engine checked it. */
  fingerprint: string;
  /**
   * The dashboard link that creates the server's first account, with the one-time setup token
   * hnet-server printed; null when the server had an account already.
   */
  setupUrl: string | null;
  /** Base servers the engine now uses. */
  baseServers: string[];
  /** hnet-server's output, for when something goes wrong later. */
  logFile: string;
}

export { hostingSteps, type HostingStep } from './hosting-steps.js';

/** What "Host a server on this machine" is doing, step by step, so the window can show progress. */
export type HostingState =
  | { state: 'idle' }
  /** `since`: ISO time the step began. */
  | { state: 'working'; step: HostingStep; since: string }
  | { state: 'running'; server: HostedServer }
  /** It was stopped because this device moved to another server (`movedTo`). */
  | { state: 'stopped'; url: string; movedTo: string };

export interface HelperState {
  installed: boolean;
  /** Why it is (not) usable, in plain words. */
  reason: string;
  /** Whether this shell can run the one-time installation (it asks for the admin password). */
  canInstall: boolean;
}

export const bridgeCalls = {
  status: engineCall('status'),
  'whitelist.add': engineCall('whitelist.add'),
  'whitelist.remove': engineCall('whitelist.remove'),
  'whitelist.enable': engineCall('whitelist.enable'),
  'whitelist.disable': engineCall('whitelist.disable'),
  'hosts.add': engineCall('hosts.add'),
  'hosts.remove': engineCall('hosts.remove'),
  join: engineCall('join'),
  'network.leave': engineCall('network.leave'),
  /** Connect / Disconnect: the tray makes the same call, `hnet up|down` too. */
  'connection.set': engineCall('connection.set'),
  /**
   * The engine's own two steps, as for `hnet setup-server`: without a fingerprint it only answers the
   * server's key for the user to compare; it switches only with a fingerprint the key matches.
   */
  setupServer: engineCall('setupServer'),
  /** Starts hnet-server on this machine and points the engine at it. */
  'server.hostHere': shellCall<HostedServer>()(object({})),
  /** How hosting a server here goes: its step while starting, the server once it runs. */
  'server.hosting': shellCall<HostingState>()(object({})),
  'helper.state': shellCall<HelperState>()(object({})),
  'helper.install': shellCall<HelperState>()(object({})),
  'clipboard.copy': shellCall<Record<string, never>>()(
    object({ text: text({ maxLength: 4096, nonEmpty: true }) }),
  ),
};

export type BridgeCalls = typeof bridgeCalls;
export type BridgeCallName = keyof BridgeCalls;
export type BridgeParams<K extends BridgeCallName> =
  BridgeCalls[K] extends BridgeCallSpec<infer P, unknown, CallSite> ? P : never;
export type BridgeResult<K extends BridgeCallName> =
  BridgeCalls[K] extends BridgeCallSpec<unknown, infer R, CallSite> ? R : never;
export type EngineBridgeCall = {
  [K in BridgeCallName]: BridgeCalls[K]['site'] extends 'engine' ? K : never;
}[BridgeCallName];
export type ShellBridgeCall = Exclude<BridgeCallName, EngineBridgeCall>;

/** Failures only the shell reports (the helper installation). */
export type ShellErrorKind = 'InstallFailed';
export interface BridgeError {
  kind: EngineErrorKind | ShellErrorKind;
  message: string;
}
export type BridgeOutcome<T> = { ok: true; value: T } | { ok: false; error: BridgeError };

export const bridgeCallNames = Object.keys(bridgeCalls) as BridgeCallName[];
export const isBridgeCall = (name: unknown): name is BridgeCallName =>
  typeof name === 'string' && Object.hasOwn(bridgeCalls, name);
export const isEngineCall = (name: BridgeCallName): name is EngineBridgeCall =>
  bridgeCalls[name].site === 'engine';

/** Checks a request from the UI: a known call and parameters its validator accepts. */
export function checkBridgeRequest(
  name: unknown,
  params: unknown,
): Checked<{ [K in BridgeCallName]: { name: K; params: BridgeParams<K> } }[BridgeCallName]> {
  if (!isBridgeCall(name))
    return { ok: false, error: `the UI has no call named ${JSON.stringify(name)?.slice(0, 64)}` };
  const checked = (bridgeCalls[name].params as Validator<unknown>)(params ?? {}, '');
  if (!checked.ok) return checked;
  return { ok: true, value: { name, params: checked.value } as never };
}

/** The UI's connection to the engine (attached hnetd, in-process engine, or the browser-mode server). */
export type LinkState =
  { state: 'connecting'; reason: string } | { state: 'up' } | { state: 'down'; reason: string };

/** What the renderer gets, over IPC or WebSocket. */
export type BridgeEvent =
  | { event: 'status'; update: StatusUpdate }
  | { event: 'link'; link: LinkState }
  | { event: 'show'; view: UiView };

/**
 * The renderer's view of its host, the same in Electron (preload) and in a browser (WebSocket).
 * `call` never throws: failures come back as outcomes with a sentence for the user.
 */
export interface HnetBridge {
  call<K extends BridgeCallName>(name: K, params: BridgeParams<K>): Promise<BridgeOutcome<BridgeResult<K>>>;
  /** Called with the current link and status at once (when known), then on every change. */
  onEvent(listener: (event: BridgeEvent) => void): () => void;
}

/** Browser mode's WebSocket messages. */
export interface SocketRequest {
  id: number;
  call: string;
  params?: unknown;
}
export type SocketMessage =
  | { id: number; ok: true; result: unknown }
  | { id: number | null; ok: false; error: BridgeError }
  | BridgeEvent
  /**
   * First message on every connection: the key with which the server later proves, before the page
   * sends its cookie again, that it is the hnetd which served the page (ui-server/server-proof.ts).
   */
  | { serverKey: string };
