// One request, one reply over the Windows helper's control pipe (any stream path Node's
// net.connect accepts). The reply is complete at its newline: a Windows pipe has no half-close,
// so waiting for the end of the stream alone could wait on a server that waits on us.
import { connect } from 'node:net';

/** Far above any reply (a status lists at most 64 devices); anything longer is not the helper. */
const MAX_REPLY_BYTES = 1024 * 1024;

function failure(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/** Resolves with the reply line (newline included); rejects with an error carrying `code`. */
export function exchangeOverPipe(path: string, request: Uint8Array, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const socket = connect(path);
    const timer = setTimeout(
      () => finish(failure('ETIMEDOUT', `no reply from ${path} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    // A refusal may arrive before our request is written, and the write then fails: what was
    // read still counts when it is a whole line.
    const received = (): Buffer | undefined => {
      const all = Buffer.concat(chunks);
      const newline = all.indexOf(0x0a);
      return newline < 0 ? undefined : all.subarray(0, newline + 1);
    };
    function finish(error?: Error): void {
      clearTimeout(timer);
      socket.destroy();
      const line = received();
      if (line) resolve(line);
      else reject(error ?? failure('ECONNRESET', `${path} closed without a complete reply`));
    }
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (chunk.includes(0x0a)) finish();
      else if (size > MAX_REPLY_BYTES) finish(failure('E2BIG', `the reply from ${path} is too long`));
    });
    socket.on('end', () => finish());
    socket.on('error', (error) => finish(error));
  });
}
