// The UI bridge over a WebSocket (browser mode): the same calls and events Electron's preload
// carries over IPC. Requests are bounded in size and in number waiting; each gets one answer.
import type { WebSocket } from 'ws';
import type { BridgeBackend } from '../ui-host/bridge-backend.js';
import type { BridgeEvent, SocketMessage } from '../contract/ui-bridge.js';
import { integer, object, optional, text, type Checked } from '../../src-shared/validate.js';

export const MAX_MESSAGE_BYTES = 64 * 1024;
const MAX_IN_FLIGHT = 32;
// A tab that stops reading is cut off instead of growing our memory.
const MAX_UNSENT_BYTES = 8 * 1024 * 1024;

const requestSchema = object({
  id: integer(0, Number.MAX_SAFE_INTEGER),
  call: text({ maxLength: 64, nonEmpty: true }),
  params: optional((value: unknown): Checked<unknown> => ({ ok: true, value })),
});

/** `serverKey`: sent first, for the page to check who answers before it reconnects (server-proof.ts). */
export function serveBridge(socket: WebSocket, backend: BridgeBackend, serverKey: string): void {
  let inFlight = 0;
  const send = (message: SocketMessage): void => {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > MAX_UNSENT_BYTES) {
      socket.terminate();
      return;
    }
    socket.send(JSON.stringify(message));
  };
  const forward = (event: BridgeEvent): void => send(event);
  send({ serverKey });
  const stop = backend.onEvent(forward);
  for (const event of backend.replay()) forward(event);

  socket.on('message', (data, isBinary) => {
    if (isBinary) {
      socket.close(1003, 'text messages only');
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data.toString());
    } catch {
      send({
        id: null,
        ok: false,
        error: { kind: 'BadRequest', message: 'the UI sent something that is not JSON' },
      });
      return;
    }
    const request = requestSchema(json, 'request');
    if (!request.ok) {
      send({ id: null, ok: false, error: { kind: 'BadRequest', message: request.error } });
      return;
    }
    if (inFlight >= MAX_IN_FLIGHT) {
      send({
        id: request.value.id,
        ok: false,
        error: { kind: 'TooLarge', message: 'too many calls waiting; wait for answers' },
      });
      return;
    }
    inFlight++;
    const { id, call, params } = request.value;
    void backend.call(call, params).then((outcome) => {
      inFlight--;
      send(outcome.ok ? { id, ok: true, result: outcome.value } : { id, ok: false, error: outcome.error });
    });
  });
  socket.on('close', stop);
  socket.on('error', () => socket.terminate());
}
