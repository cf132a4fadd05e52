// The typed client of the control API, used by the CLI, the desktop shell and tests. Parameters
// are checked here with the same validators the server uses, so a bad argument is reported
// before anything is sent.
import { createConnection, type Socket } from 'node:net';
import {
  checkParams,
  MAX_RESPONSE_BYTES,
  type CallName,
  type ParamsOf,
  type ResultOf,
  type ServerMessage,
} from '../../contract/control-calls.js';
import { errorText, failure, success, type EngineError, type Outcome } from '../../contract/errors.js';
import type { StatusListener } from '../../contract/events.js';

export const DEFAULT_CONTROL_SOCKET = '/run/hnet/control.sock';

type Waiter = (outcome: Outcome<unknown>) => void;

export class ControlClient {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  private readonly statusListeners = new Set<StatusListener>();
  private readonly closeListeners = new Set<(error: EngineError) => void>();
  private closedWith: EngineError | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly socketPath: string,
  ) {
    let pending = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const text = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        this.receive(text);
      }
      if (pending.length > MAX_RESPONSE_BYTES)
        this.shutDown({ kind: 'TooLarge', message: `hnetd sent a message over ${MAX_RESPONSE_BYTES} bytes` });
    });
    socket.on('error', (error) =>
      this.shutDown({ kind: 'ConnectionLost', message: `lost hnetd: ${errorText(error)}` }),
    );
    socket.on('close', () =>
      this.shutDown({ kind: 'ConnectionLost', message: 'hnetd closed the connection' }),
    );
  }

  static connect(socketPath: string = DEFAULT_CONTROL_SOCKET): Promise<Outcome<ControlClient>> {
    return new Promise((resolve) => {
      const socket = createConnection(socketPath);
      socket.once('connect', () => resolve(success(new ControlClient(socket, socketPath))));
      socket.once('error', (error: NodeJS.ErrnoException) =>
        resolve(failure(...notRunning(socketPath, error))),
      );
    });
  }

  call<K extends CallName>(name: K, params: ParamsOf<K>): Promise<Outcome<ResultOf<K>>> {
    const checked = checkParams(name, params);
    if (!checked.ok) return Promise.resolve(failure('BadParams', checked.error));
    if (this.closedWith) return Promise.resolve({ ok: false, error: this.closedWith });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve as Waiter);
      this.socket.write(`${JSON.stringify({ id, call: name, params: checked.value })}\n`);
    });
  }

  /** Delivers a full status now and an update on every visible change. */
  async subscribe(listener: StatusListener): Promise<Outcome<void>> {
    this.statusListeners.add(listener);
    const answer = await this.call('subscribe', {});
    if (!answer.ok) this.statusListeners.delete(listener);
    return answer.ok ? success(undefined) : answer;
  }

  /** Called once when the connection ends for any reason other than `close()`. */
  onClose(listener: (error: EngineError) => void): void {
    this.closeListeners.add(listener);
  }

  close(): void {
    this.closeListeners.clear();
    this.socket.destroy();
  }

  private receive(text: string): void {
    let message: ServerMessage;
    try {
      message = JSON.parse(text) as ServerMessage;
    } catch {
      this.shutDown({ kind: 'BadRequest', message: 'hnetd sent something that is not JSON' });
      return;
    }
    if ('event' in message) {
      for (const listener of this.statusListeners) listener(message.update);
      return;
    }
    // Errors without an id are about the connection itself (too large, too many): fail everything.
    if (message.id === null) {
      if (!message.ok) this.shutDown(message.error);
      return;
    }
    const waiter = this.waiting.get(message.id);
    this.waiting.delete(message.id);
    waiter?.(message.ok ? success(message.result) : { ok: false, error: message.error });
  }

  private shutDown(error: EngineError): void {
    if (this.closedWith) return;
    this.closedWith = error;
    this.socket.destroy();
    for (const waiter of this.waiting.values()) waiter({ ok: false, error });
    this.waiting.clear();
    for (const listener of this.closeListeners) listener(error);
  }
}

function notRunning(socketPath: string, error: NodeJS.ErrnoException): [EngineError['kind'], string] {
  const start = 'start it with "sudo systemctl start hnetd" (or run "sudo hnetd")';
  switch (error.code) {
    case 'ENOENT':
      return ['DaemonNotRunning', `hnetd is not running (no socket at ${socketPath}) — ${start}`];
    case 'ECONNREFUSED':
      return ['DaemonNotRunning', `hnetd is not running (stale socket at ${socketPath}) — ${start}`];
    case 'EACCES':
      return ['NotPermitted', `cannot open ${socketPath}: permission denied`];
    default:
      return ['DaemonNotRunning', `cannot reach hnetd at ${socketPath}: ${errorText(error)}`];
  }
}
