// What one client may cost the base server, and the token bucket that enforces rates.

export interface BaseLimits {
  /**
   * TCP connections at once. When full, a newcomer takes the place of a connection of the source
   * holding the most (if that one holds at least 2 more); otherwise it is closed on arrival.
   */
  maxConnections: number;
  /**
   * TCP connections at once from one IPv4 address or IPv6 /64. Devices behind one NAT share it.
   * Beyond it, a newcomer replaces one of that source's connections still authenticating, if any.
   */
  maxConnectionsPerSource: number;
  /** A connection that has not sent one valid signed message by then is closed. */
  authTimeoutMs: number;
  /** An authenticated connection silent this long is closed (stock clients send INFO every 25 s). */
  idleTimeoutMs: number;
  /**
   * Messages per second from one client, TCP frames and UDP packets together; burst of one second.
   * Room for one relayed TCP stream of ~1.3 Gbit/s of full-size DATA: at 50,000 a single stream
   * sent with segment offloads overshot it in bursts, and TCP resent 40,730 segments in 15 s.
   */
  messagesPerSecond: number;
  /** Messages other than DATA per second from one connection: most cost a signature check (~0.1 ms). */
  controlPerSecond: number;
  /** Such messages a connection may send at once, e.g. REQUEST_INFO for every peer after a reconnect. */
  controlBurst: number;
  /** Above this many unsent bytes queued to a client, relayed DATA to it is dropped. */
  relayBufferBytes: number;
  /** Above this many unsent bytes the client is not reading at all: its connection is closed. */
  maxBufferedBytes: number;
  /**
   * Relayed data goes over UDP this long after the target's last NAT_INIT. Clients repeat NAT_INIT
   * well within it, since they count the base's UDP alive for 35 s after NAT_OK; past it their NAT
   * may have dropped the mapping, so TCP is the path that arrives.
   */
  natMappingFreshMs: number;
  /** Devices one client may ask about and be told of their later address changes. */
  maxInterestsPerClient: number;
}

export const defaultLimits: BaseLimits = {
  maxConnections: 20_000,
  maxConnectionsPerSource: 256,
  authTimeoutMs: 10_000,
  idleTimeoutMs: 90_000,
  messagesPerSecond: 120_000,
  controlPerSecond: 50,
  controlBurst: 500,
  relayBufferBytes: 256 * 1024,
  maxBufferedBytes: 1024 * 1024,
  natMappingFreshMs: 35_000,
  maxInterestsPerClient: 1024,
};

/**
 * Refills lazily on use, so an idle client costs two numbers and no timer. Time comes from the
 * caller, which reads the clock once per packet for every check it makes.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.updatedAt = now;
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    if (now > this.updatedAt) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) * this.perSecond) / 1000);
      this.updatedAt = now;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
