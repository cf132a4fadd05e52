// For tests of the control socket: the first line its server sends on a connection.
import type { Socket } from 'node:net';

/** Resolves with the first line the server sends on `socket`, or '' when it closes without one. */
export function firstLine(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
    });
    socket.on('close', () => resolve(text));
    socket.on('error', () => undefined);
  });
}
