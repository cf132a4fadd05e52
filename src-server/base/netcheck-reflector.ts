// hnet's netcheck probe on the base (src-protocol/netcheck-probe.ts): every base UDP socket answers
// it with the source it saw, and one extra socket, never announced in STATE, answers it too, so a
// device can compare what two ports of ours saw of one of its sockets. Stock clients never send the
// probe and never learn of the extra port; NAT_INIT, NAT_OK and relaying stay on the STATE sockets.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { makeEndpoint, type Endpoint } from '../../src-protocol/endpoint.js';
import { encodeNetcheckAnswer, netcheckProbeTxid } from '../../src-protocol/netcheck-probe.js';
import { boundEndpoint } from './bound-address.js';
import { TokenBucket } from './limits.js';
import type { BaseMetrics } from './metrics.js';

/** Answers per second, all sources together: each costs no crypto, only a send. */
const ANSWERS_PER_SECOND = 2_000;

export type SendAnswer = (answer: Uint8Array, port: number, address: string) => void;

export class NetcheckReflector {
  private readonly budget = new TokenBucket(ANSWERS_PER_SECOND, ANSWERS_PER_SECOND, Date.now());

  private constructor(
    private readonly socket: Socket | undefined,
    private readonly metrics: BaseMetrics,
  ) {
    socket?.on('message', (packet, from) =>
      this.answer(packet, from, [], (answer, port, address) => socket.send(answer, port, address)),
    );
  }

  /** Binds the extra socket at `address` (undefined: none); rejects with a readable error. */
  static async bind(
    address: Endpoint | undefined,
    metrics: BaseMetrics,
    onError: (error: Error) => void,
  ): Promise<NetcheckReflector> {
    if (!address) return new NetcheckReflector(undefined, metrics);
    const socket = createSocket(address.ip.includes(':') ? 'udp6' : 'udp4');
    socket.bind(address.port, address.ip);
    await once(socket, 'listening').catch((error: Error) => {
      throw new Error(`Cannot listen on UDP ${address.ip}:${address.port} for netcheck: ${error.message}`);
    });
    socket.on('error', onError);
    return new NetcheckReflector(socket, metrics);
  }

  /** The extra socket's address, if there is one. */
  get address(): Endpoint | undefined {
    return this.socket && boundEndpoint(this.socket.address());
  }

  /** Whether `packet` is a probe: then it was answered (or dropped over budget) and needs nothing else. */
  take(packet: Uint8Array, from: RemoteInfo, send: SendAnswer): boolean {
    if (!netcheckProbeTxid(packet)) return false;
    const extra = this.address;
    this.answer(packet, from, extra ? [extra.port] : [], send);
    return true;
  }

  close(): void {
    this.socket?.close();
  }

  private answer(packet: Uint8Array, from: RemoteInfo, ports: number[], send: SendAnswer): void {
    const txid = netcheckProbeTxid(packet);
    if (!txid) return this.metrics.drop('malformed');
    if (!this.budget.take(Date.now())) return this.metrics.drop('rate_limited');
    const observed = makeEndpoint(from.address, from.port);
    if (!observed.ok) return this.metrics.drop('malformed');
    const answer = encodeNetcheckAnswer({ txid, observed: observed.value, ports });
    if (answer.ok) send(answer.value, from.port, from.address);
  }
}
