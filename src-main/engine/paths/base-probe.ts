// How far a base server is: a TCP connection of its own, timed from connect to the base's HELLO
// (PROTOCOL.md §5: every base sends one at once), then closed. That is one round trip plus the
// time the base takes to accept, so a base too busy to answer counts as far. It costs the base an
// accept and 17 bytes, no signature check, and works with any stock base.
import { connect } from 'node:net';
import { decodeBaseToPeer, FrameDecoder } from '../../../src-protocol/base-messages.js';
import { errorText } from '../../contract/errors.js';
import type { BaseServerAddress } from './base-server-address.js';
import type { ProbeResult } from './base-selection.js';

/** Why a connection to `server` failed, in words rather than an errno name. */
export function connectFailure(server: string, error: Error): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ECONNREFUSED':
      return `${server} refused the connection (is its base server running?)`;
    case 'ECONNRESET':
      return `${server} reset the connection`;
    case 'ETIMEDOUT':
      return `${server} did not answer`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to ${server} from this network`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the name in ${server} does not resolve`;
    default:
      return `cannot reach ${server}: ${errorText(error)}`;
  }
}

export function probeBase(server: BaseServerAddress, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: server.host, port: server.port });
    const decoder = new FrameDecoder();
    let connectedAt: number | undefined;
    const done = (result: ProbeResult): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () =>
        done({
          ok: false,
          reason: `${server.text} did not ${connectedAt === undefined ? 'answer' : 'say HELLO'} within ${timeoutMs / 1000} s`,
        }),
      timeoutMs,
    );
    socket.setNoDelay(true);
    socket.on('connect', () => (connectedAt = performance.now()));
    socket.on('data', (chunk: Buffer) => {
      const pushed = decoder.push(chunk);
      const first = pushed.frames[0];
      if (pushed.error || (first && !isHello(first)))
        return done({ ok: false, reason: `${server.text} does not speak as a base server` });
      if (first) done({ ok: true, rttMs: performance.now() - (connectedAt ?? performance.now()) });
    });
    socket.on('error', (error) => done({ ok: false, reason: connectFailure(server.text, error) }));
    socket.on('close', () => done({ ok: false, reason: `${server.text} closed the connection` }));
  });
}

function isHello(frame: Uint8Array): boolean {
  const decoded = decodeBaseToPeer(frame);
  return decoded.ok && decoded.value.kind === 'hello';
}
