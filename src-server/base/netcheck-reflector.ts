// hnet's netcheck probe on the base (src-protocol/netcheck-probe.ts): every base UDP socket answers
// it with the source it saw, and one extra socket, never announced in STATE, answers it too, so a
// device can compare what two ports of ours saw of one of its sockets. Stock clients never send the
// probe and never learn of the extra port; NAT_INIT, NAT_OK and relaying stay on the STATE sockets.
import type { DropCounter, OpenUdpSocket, UdpTransport } from '../../src-main/engine/index.js';
import { formatEndpoint, makeEndpoint, type Endpoint } from '../../src-protocol/endpoint.js';
import { encodeNetcheckAnswer, netcheckProbeTxid } from '../../src-protocol/netcheck-probe.js';
import { TokenBucket } from './limits.js';
import type { BaseMetrics } from './metrics.js';

/** Answers per second, all sources together: each costs no crypto, only a send. */
const ANSWERS_PER_SECOND = 2_000;

export type SendAnswer = (answer: Uint8Array) => void;

export class NetcheckReflector {
  private readonly budget = new TokenBucket(ANSWERS_PER_SECOND, ANSWERS_PER_SECOND, Date.now());
  private socket: UdpTransport | undefined;
  /** The extra socket's address, if there is one. */
  address: Endpoint | undefined;

  private constructor(private readonly metrics: BaseMetrics) {}

  /**
   * Binds the extra socket at `address` (undefined: none) with the base's kind of UDP socket;
   * rejects with a readable error.
   */
  static async bind(
    address: Endpoint | undefined,
    metrics: BaseMetrics,
    onError: (error: Error) => void,
    open: OpenUdpSocket,
    drops: DropCounter,
  ): Promise<NetcheckReflector> {
    const reflector = new NetcheckReflector(metrics);
    if (!address) return reflector;
    const socket = await open(
      address.port,
      address.ip.includes(':'),
      (packet, ip, port) =>
        reflector.answer(packet, ip, port, [], (answer) => socket.send(answer, socket.target({ ip, port }))),
      drops,
      address.ip,
    ).catch((error: Error) => {
      throw new Error(`Cannot listen on UDP ${formatEndpoint(address)} for netcheck: ${error.message}`);
    });
    socket.onError(onError);
    reflector.socket = socket;
    reflector.address = { ip: address.ip, port: socket.port };
    return reflector;
  }

  /** Whether `packet` is a probe: then it was answered (or dropped over budget) and needs nothing else. */
  take(packet: Uint8Array, ip: string, port: number, send: SendAnswer): boolean {
    if (!netcheckProbeTxid(packet)) return false;
    this.answer(packet, ip, port, this.address ? [this.address.port] : [], send);
    return true;
  }

  close(): void {
    this.socket?.close();
  }

  private answer(packet: Uint8Array, ip: string, port: number, ports: number[], send: SendAnswer): void {
    const txid = netcheckProbeTxid(packet);
    if (!txid) return this.metrics.drop('malformed');
    if (!this.budget.take(Date.now())) return this.metrics.drop('rate_limited');
    const observed = makeEndpoint(ip, port);
    if (!observed.ok) return this.metrics.drop('malformed');
    const answer = encodeNetcheckAnswer({ txid, observed: observed.value, ports });
    if (answer.ok) send(answer.value);
  }
}
