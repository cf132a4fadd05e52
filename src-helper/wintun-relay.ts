// Windows: the helper holds the Wintun session (there is no TUN fd to hand over) and relays its
// packets to the one engine that asked for it over a per-session named pipe, each packet framed
// with a length prefix (packet-framing.ts).
//
// Nothing here ever waits on the engine. Batches from the addon's reader thread are framed and
// queued on the pipe up to a byte limit, beyond which they are dropped and counted, so the reader
// thread's hand-over to JS (a 4-batch queue) always drains and the thread never blocks for long.
// Packets from the engine go straight into the Wintun send ring; a full ring drops them.
//
// UNTESTED on Windows (no machine here): the framing and bounds are unit-tested on Linux, the
// native pipe acceptor, the Wintun source and the reader that drives it are compiled into the
// helper's addon only on Windows (the reader's source is the data plane's, without the lane).
import { randomBytes } from 'node:crypto';
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { loadNative, type PacketReaderHandle, type PipeClientIdentity } from './api/native.js';
import { encodeBatch, FrameDecoder, FrameWriter, type FrameWriterStats } from './api/packet-framing.js';
import { isPipeClientAllowed, pipeSecurityDescriptor } from './pipe-security.js';
import { configureTun, type TunSettings } from './tun-config.js';

/** The engine connects right after the openTun reply; a session nobody claims is torn down. */
const ACCEPT_TIMEOUT_MS = 15_000;

export interface RelayStats {
  /** OS → engine, as queued on the pipe (drops: the engine was not reading fast enough). */
  toEngine: FrameWriterStats;
  /** Packets the OS sent before the engine connected; there is nowhere to put them. */
  droppedBeforeEngine: number;
  /** Engine → OS. */
  toOsWritten: number;
  /** The Wintun send ring was full (or the session ending). */
  toOsDropped: number;
}

export interface WintunRelay {
  readonly name: string;
  /** What the engine connects to (protocol.ts dataPipeValidator). */
  readonly dataPipe: string;
  readonly stats: RelayStats;
  /** Settles once the session and adapter are closed: null after close(), else why. */
  readonly ended: Promise<string | null>;
  close(): Promise<string | null>;
}

export interface RelayClient {
  pid: number;
  sid: string;
}

class Relay implements WintunRelay {
  readonly dataPipe = `\\\\.\\pipe\\hnet-tun-${randomBytes(16).toString('hex')}`;
  readonly stats: RelayStats = {
    toEngine: { framesQueued: 0, bytesQueued: 0, framesDropped: 0 },
    droppedBeforeEngine: 0,
    toOsWritten: 0,
    toOsDropped: 0,
  };
  readonly ended: Promise<string | null>;
  private readonly reader: PacketReaderHandle;
  private settle: (reason: string | null) => void = () => undefined;
  private writer: FrameWriter | undefined;
  private socket: Socket | undefined;
  private failure: string | null = null;
  private closing = false;

  /** Creates the Wintun adapter and session (the addon throws when it cannot). */
  constructor(readonly name: string) {
    this.ended = new Promise((resolve) => (this.settle = resolve));
    // The helper addon has a reader only where it is built for Windows (its binding.gyp).
    const { TunReader } = loadNative();
    if (!TunReader) throw new Error('a Wintun session exists only on Windows');
    this.reader = new TunReader(
      name,
      (data, ends) => this.fromOs(data, ends),
      (error) => {
        this.socket?.destroy();
        this.settle(this.closing ? this.failure : `the Wintun session ended: ${error?.message ?? 'closed'}`);
      },
    );
  }

  private fromOs(data: ArrayBuffer, ends: Uint32Array): void {
    if (this.writer) this.writer.writeFrames(encodeBatch(data, ends), ends.length);
    else this.stats.droppedBeforeEngine += ends.length;
  }

  /**
   * Creates the data pipe (it exists when this returns; throws when it cannot be created), then in
   * the background admits only the process that asked and relays.
   */
  listen(client: RelayClient): void {
    const sddl = pipeSecurityDescriptor([client.sid]);
    void this.attach(loadNative().acceptPipeClient(this.dataPipe, sddl, ACCEPT_TIMEOUT_MS), client);
  }

  private async attach(
    accepting: Promise<{ fd: number } & PipeClientIdentity>,
    client: RelayClient,
  ): Promise<void> {
    let accepted: { fd: number } & PipeClientIdentity;
    try {
      accepted = await accepting;
    } catch (error) {
      void this.shut(`the engine did not connect to the data pipe: ${String(error)}`);
      return;
    }
    if (this.closing || !isPipeClientAllowed(accepted, [client.sid], client.pid)) {
      closeSync(accepted.fd);
      void this.shut(
        this.closing
          ? null
          : `pid ${accepted.pid} (${accepted.sid}) connected to a data pipe meant for pid ${client.pid}`,
      );
      return;
    }
    const socket = new Socket({ fd: accepted.fd, readable: true, writable: true });
    this.socket = socket;
    this.writer = new FrameWriter(socket);
    this.stats.toEngine = this.writer.stats;
    const decoder = new FrameDecoder((packet) => {
      let written = false;
      try {
        written = this.reader.write(packet);
      } catch {
        written = false;
      }
      if (written) this.stats.toOsWritten++;
      else this.stats.toOsDropped++;
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk);
      } catch (error) {
        void this.shut(`the engine sent something other than packets: ${String(error)}`);
      }
    });
    socket.on('error', (error) => void this.shut(`the data pipe failed: ${error.message}`));
    // The engine closing its end is how a session normally ends (the engine stopped or crashed).
    socket.on('close', () => void this.shut(null));
  }

  private shut(failure: string | null): Promise<string | null> {
    if (!this.closing) {
      this.closing = true;
      this.failure = failure;
      this.socket?.destroy();
      this.reader.close();
    }
    return this.ended;
  }

  close(): Promise<string | null> {
    return this.shut(null);
  }
}

/**
 * Creates and configures the Wintun adapter `settings.name` and a data pipe only `client` may
 * use; resolves once the pipe exists (so the engine may be told its name), while the relay waits
 * for the engine in the background.
 */
export async function startWintunRelay(settings: TunSettings, client: RelayClient): Promise<WintunRelay> {
  const relay = new Relay(settings.name);
  try {
    await configureTun(settings);
    relay.listen(client);
  } catch (error) {
    await relay.close();
    throw error;
  }
  return relay;
}
