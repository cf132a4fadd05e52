// The UI's state: what the engine last reported, the link to it (and since when the status on screen
// is old news), and the helper's state. Every
// change the user makes goes through `run`, which remembers the last failure per feature so each
// view can show its own sentence next to the control that caused it.
import { create } from 'zustand';
import type {
  BridgeCallName,
  BridgeParams,
  BridgeResult,
  HelperState,
  HostingState,
  LinkState,
  UiView,
} from '../../../src-main/contract/ui-bridge.js';
import type { Status } from '../../../src-main/contract/status.js';
import type { UiBridge } from '../bridge/ui-bridge.js';
import { sentence } from '../lib/format.js';

export type Feedback = { kind: 'error' | 'done'; text: string } | undefined;

export interface AppState {
  bridge: UiBridge | undefined;
  link: LinkState;
  status: Status | undefined;
  /** When the link to the engine was lost while a status was shown; undefined while it is up. */
  lostAt: number | undefined;
  view: UiView;
  helper: HelperState | undefined;
  /** "Host a server on this machine", as the shell last said: its step while starting, then the server. */
  hosting: HostingState;
  feedback: Record<string, Feedback>;
  busy: Record<string, boolean>;
  /** Makes a call for `feature`; answers the result, or undefined after recording the failure. */
  run<K extends BridgeCallName>(
    feature: string,
    name: K,
    params: BridgeParams<K>,
    /** What the view says once it worked; from the answer when it depends on it. */
    done?: string | ((result: BridgeResult<K>) => string),
  ): Promise<BridgeResult<K> | undefined>;
  copy(feature: string, text: string): Promise<void>;
  refreshHelper(): Promise<void>;
  refreshHosting(): Promise<void>;
  /** Starts a server here, showing each step while it runs; ends on the Server view. */
  hostHere(): Promise<void>;
}

/** How often the window asks the shell how hosting goes while it starts (it takes seconds). */
const HOSTING_POLL_MS = 400;

export const useApp = create<AppState>()((set, get) => ({
  bridge: undefined,
  link: { state: 'connecting', reason: 'connecting to the hnet engine' },
  status: undefined,
  lostAt: undefined,
  view: 'peers',
  helper: undefined,
  hosting: { state: 'idle' },
  feedback: {},
  busy: {},
  async run(feature, name, params, done) {
    const bridge = get().bridge;
    if (!bridge) return undefined;
    set((s) => ({ busy: { ...s.busy, [feature]: true }, feedback: { ...s.feedback, [feature]: undefined } }));
    const outcome = await bridge.call(name, params);
    const feedback: Feedback = outcome.ok
      ? done === undefined
        ? undefined
        : { kind: 'done', text: typeof done === 'string' ? done : done(outcome.value) }
      : { kind: 'error', text: sentence(outcome.error.message) };
    set((s) => ({ busy: { ...s.busy, [feature]: false }, feedback: { ...s.feedback, [feature]: feedback } }));
    return outcome.ok ? outcome.value : undefined;
  },
  async copy(feature, text) {
    const outcome = await get().bridge?.copyText(text);
    set((s) => ({
      feedback: {
        ...s.feedback,
        [feature]: outcome?.ok
          ? { kind: 'done', text: `Copied ${text}` }
          : { kind: 'error', text: 'Could not copy.' },
      },
    }));
  },
  async refreshHelper() {
    const helper = await get().run('helper', 'helper.state', {});
    if (helper) set({ helper });
  },
  async refreshHosting() {
    const hosting = await get().bridge?.call('server.hosting', {});
    if (hosting?.ok) set({ hosting: hosting.value });
  },
  async hostHere() {
    set({ hosting: { state: 'working', step: 'address', since: new Date().toISOString() } });
    const poll = setInterval(() => void get().refreshHosting(), HOSTING_POLL_MS);
    const hosted = await get().run(
      'hosting',
      'server.hostHere',
      {},
      'hnet-server runs on this machine and hnet now uses it.',
    );
    clearInterval(poll);
    await get().refreshHosting();
    if (hosted) set({ view: 'server' });
  },
}));

export function attachBridge(bridge: UiBridge): () => void {
  useApp.setState({ bridge });
  return bridge.onEvent((event) => {
    if (event.event === 'link') {
      const { status, lostAt } = useApp.getState();
      const up = event.link.state === 'up';
      useApp.setState({
        link: event.link,
        lostAt: up || status === undefined ? undefined : (lostAt ?? Date.now()),
      });
      if (up) {
        void useApp.getState().refreshHelper();
        void useApp.getState().refreshHosting();
      }
    }
    if (event.event === 'status') {
      useApp.setState({ status: event.update.status });
      // The shell stops the server hosted here once this device moves to another one.
      if (useApp.getState().hosting.state === 'running') void useApp.getState().refreshHosting();
    }
    if (event.event === 'show') useApp.setState({ view: event.view });
  });
}
