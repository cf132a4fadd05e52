// Browser mode's bridge: calls and events over one WebSocket to the engine that served the page.
// The page's cookie authenticates it. When the socket drops (the engine restarted), calls in
// flight fail with a sentence and the bridge reconnects.
import type {
  BridgeEvent,
  BridgeOutcome,
  HnetBridge,
  LinkState,
  SocketMessage,
} from '../../../src-main/electron/ipc-schema.js';

const RETRY_MS = 1000;

export function connectSocketBridge(url: string): HnetBridge {
  const listeners = new Set<(event: BridgeEvent) => void>();
  const waiting = new Map<number, (outcome: BridgeOutcome<never>) => void>();
  let nextId = 1;
  let socket: WebSocket | undefined;
  let lastLink: LinkState = { state: 'connecting', reason: 'connecting to the hnet engine' };
  const lastStatus: { event?: BridgeEvent } = {};

  const emit = (event: BridgeEvent): void => {
    if (event.event === 'link') lastLink = event.link;
    if (event.event === 'status') lastStatus.event = event;
    for (const listener of [...listeners]) listener(event);
  };

  const open = (): void => {
    const ws = new WebSocket(url);
    ws.onopen = () => (socket = ws);
    ws.onmessage = (message: MessageEvent<string>) => {
      const data = JSON.parse(message.data) as SocketMessage;
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
      emit({
        event: 'link',
        link: {
          state: 'down',
          reason: 'the page lost its connection to hnet (stopped, or restarted with a new link)',
        },
      });
      setTimeout(open, RETRY_MS);
    };
  };
  open();

  return {
    call(name, params) {
      const ws = socket;
      if (!ws)
        return Promise.resolve({
          ok: false,
          error: { kind: 'ConnectionLost', message: 'not connected to hnet yet; try again in a moment' },
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
