// Browser mode's bridge: calls and events over one WebSocket to the hnetd that served the page, which
// the page's cookie authenticates. When the socket drops (hnetd stopped or restarts), calls in flight
// fail with a sentence, the page is told at once, and the bridge reconnects by itself: hnetd keeps
// its port and token across restarts. Before reconnecting, which sends the cookie again, it checks
// that what answers is that hnetd (server-proof.ts), so another program that took the port meanwhile
// is never sent the cookie.
import type {
  BridgeEvent,
  BridgeOutcome,
  HnetBridge,
  LinkState,
  SocketMessage,
} from '../../../src-main/contract/ui-bridge.js';
import { whoAnswers } from './server-proof.js';

const RETRY_MS = 1000;

type Down = Extract<LinkState, { state: 'down' }>;
const lost: Down = {
  state: 'down',
  reason: 'the connection to hnet closed (it stopped, or is restarting); this page reconnects by itself',
};
const stranger = (host: string): Down => ({
  state: 'down',
  reason:
    `something other than the hnet that opened this page answers at ${host} (hnet started afresh, ` +
    'or another program took its port); run "hnet ui" for its current address',
});

/** `origin`: the page's own, e.g. http://127.0.0.1:41234 (the WebSocket and /alive are under it). */
export function connectSocketBridge(origin: string): HnetBridge {
  const listeners = new Set<(event: BridgeEvent) => void>();
  const waiting = new Map<number, (outcome: BridgeOutcome<never>) => void>();
  let nextId = 1;
  let socket: WebSocket | undefined;
  let serverKey: string | undefined;
  let lastLink: LinkState = { state: 'connecting', reason: 'connecting to the hnet engine' };
  const lastStatus: { event?: BridgeEvent } = {};

  const emit = (event: BridgeEvent): void => {
    if (event.event === 'link') lastLink = event.link;
    if (event.event === 'status') lastStatus.event = event;
    for (const listener of [...listeners]) listener(event);
  };
  const retry = () => setTimeout(() => void open(), RETRY_MS);

  const open = async (): Promise<void> => {
    // The first connection is the page's own load, which sent the cookie already.
    if (serverKey !== undefined) {
      const answerer = await whoAnswers(`${origin}/alive`, serverKey);
      if (answerer !== 'ours') {
        const link = answerer === 'nobody' ? lost : stranger(new URL(origin).host);
        if (lastLink.state !== 'down' || lastLink.reason !== link.reason) emit({ event: 'link', link });
        retry();
        return;
      }
    }
    const ws = new WebSocket(`${origin.replace(/^http/, 'ws')}/bridge`);
    ws.onopen = () => (socket = ws);
    ws.onmessage = (message: MessageEvent<string>) => {
      const data = JSON.parse(message.data) as SocketMessage;
      if ('serverKey' in data) {
        serverKey = data.serverKey;
        return;
      }
      if ('event' in data) return emit(data);
      if (data.id === null) return;
      const resolve = waiting.get(data.id);
      waiting.delete(data.id);
      resolve?.(
        (data.ok
          ? { ok: true, value: data.result }
          : { ok: false, error: data.error }) as BridgeOutcome<never>,
      );
    };
    ws.onclose = () => {
      socket = undefined;
      for (const resolve of waiting.values())
        resolve({
          ok: false,
          error: { kind: 'ConnectionLost', message: 'lost the connection to hnet; try again' },
        });
      waiting.clear();
      emit({ event: 'link', link: lost });
      retry();
    };
  };
  void open();

  return {
    call(name, params) {
      const ws = socket;
      if (!ws)
        return Promise.resolve({
          ok: false,
          error: {
            kind: 'ConnectionLost',
            message: 'not connected to hnet; this page reconnects by itself, try again then',
          },
        });
      const id = nextId++;
      return new Promise((resolve) => {
        waiting.set(id, resolve as (outcome: BridgeOutcome<never>) => void);
        ws.send(JSON.stringify({ id, call: name, params }));
      });
    },
    onEvent(listener) {
      listeners.add(listener);
      listener({ event: 'link', link: lastLink });
      if (lastStatus.event) listener(lastStatus.event);
      return () => listeners.delete(listener);
    },
  };
}
