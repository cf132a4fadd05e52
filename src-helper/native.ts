// Typed loader for the hnet N-API addon (src-helper/native). The addon is loaded lazily, on the
// first call, so modules that merely import this file still load where the addon is not built.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
  /** Supplementary groups of the peer at connect time (SO_PEERGROUPS / LOCAL_PEERCRED). */
  groups: number[];
}

/** Who connected to a Windows named pipe: the counterpart of PeerCredentials, from the token. */
export interface PipeClientIdentity {
  pid: number;
  /** The user's SID, e.g. S-1-5-21-…-1001. */
  sid: string;
  /** Enabled group SIDs of the token (deny-only groups, such as a non-elevated Administrators, left out). */
  groups: string[];
}

export interface TunReaderHandle {
  /** One write() (or Wintun send); false when the kernel queue was full or the reader has ended. */
  write(packet: Uint8Array): boolean;
  /** Stops reading; onEnd(null) follows once it has stopped and the device is closed. */
  close(): void;
}

/** Bytes per datagram in UdpSocketHandle.sources. */
export const UDP_SOURCE_BYTES = 24;
/** Most datagrams per onBatch call, the length of UdpSocketHandle.ends. */
export const UDP_BATCH = 64;

/**
 * The engine's UDP socket (Linux, macOS): receives in batches on the main loop, sends with one
 * sendto() each. See src-helper/native/src/udp-socket.h.
 */
export interface UdpSocketHandle {
  /** The bound port (the one asked for, or the kernel's pick for 0). */
  readonly port: number;
  /** During onBatch: datagram i is data[ends[i - 1] ?? 0, ends[i]). */
  readonly ends: Uint32Array;
  /**
   * During onBatch: UDP_SOURCE_BYTES per datagram, 16-byte address (IPv4 as ::ffff:a.b.c.d),
   * port in network order, 2 zero bytes, then the scope id (native u32) of a link-local source, else 0.
   */
  readonly sources: Uint8Array;
  /** 0, or the errno of the one sendto(); nothing is thrown or queued. */
  send(packet: Uint8Array, sockaddr: Uint8Array): number;
  /** Up to UDP_BATCH packets in one sendmmsg(); returns how many failed (see sendErrors). */
  sendMany(packets: Uint8Array[], sockaddrs: Uint8Array[], count: number): number;
  /** After sendMany: the errno of each packet that failed, 0 for those sent. */
  readonly sendErrors: Int32Array;
  /** The destination in the socket's own sockaddr form; undefined when ip is no IP literal. */
  sockaddr(ip: string, port: number): Uint8Array | undefined;
  /** The name of the interface with this index (a link-local source's scope), or the number as text. */
  interfaceName(index: number): string;
  /** Stops receiving and closes the fd; no callback follows. */
  close(): void;
}

/**
 * Which instance of a named pipe acceptPipeClient creates: the single instance of a data pipe, or
 * the first / a further instance of the multi-instance control pipe (only the first claims the
 * name with FIRST_PIPE_INSTANCE; the others join it).
 */
export type PipeInstance = 'only' | 'first' | 'another';

/** The raw addon surface; see src-helper/native/src/addon.cc. */
export interface NativeAddon {
  peerCredentials(fd: number): PeerCredentials;
  /** Creates (or attaches to) a TUN device; the caller owns the returned fd. */
  openTun(name: string): { fd: number; name: string };
  /** One sendmsg() of payload with fd attached (SCM_RIGHTS); returns the bytes sent. */
  sendWithFd(socketFd: number, payload: Uint8Array, fd: number): number;
  /** Connects, sends, reads until the peer closes; fd is -1 when none was passed. */
  requestWithFd(
    socketPath: string,
    request: Uint8Array,
    timeoutMs: number,
  ): Promise<{ response: Buffer; fd: number }>;
  /**
   * Windows: creates an instance of pipe `name` under security descriptor `sddl` (it exists when
   * this returns; `instance` defaults to 'only'), then resolves once one local client connected,
   * with an fd (node.exe's C runtime) of the connection for net.Socket({ fd }). timeoutMs 0 waits for ever.
   * Elsewhere throws ENOTSUP.
   */
  acceptPipeClient(
    name: string,
    sddl: string,
    timeoutMs: number,
    instance?: PipeInstance,
  ): Promise<{ fd: number } & PipeClientIdentity>;
  /** device: a TUN fd (the reader owns it from then on) or, on Windows, a Wintun adapter name. */
  TunReader: new (
    device: number | string,
    onBatch: (data: ArrayBuffer, ends: Uint32Array) => void,
    onEnd: (error: NativeError | null) => void,
  ) => TunReaderHandle;
  /**
   * Binds [::]:port with IPv4 mapped (dualStack) or 0.0.0.0:port; throws a NativeError (EADDRINUSE,
   * EAFNOSUPPORT…). onBatch gets `count` datagrams packed in `data` (see UdpSocketHandle.ends) and
   * how many were dropped since the last call for exceeding 2048 bytes. Throws ENOTSUP on Windows.
   */
  UdpSocket: new (
    port: number,
    dualStack: boolean,
    onBatch: (data: Buffer, count: number, oversized: number) => void,
    onError: (error: NativeError) => void,
  ) => UdpSocketHandle;
}

/** Errors thrown by the addon carry the errno name (EBUSY, EPERM…) in `code`. */
export interface NativeError extends Error {
  code: string;
  errno?: number;
  syscall?: string;
}

export function isNativeError(error: unknown): error is NativeError {
  return error instanceof Error && typeof (error as Partial<NativeError>).code === 'string';
}

// Where the addon may be: set explicitly (a packaged app keeps it outside the asar archive; the
// installed helper next to itself), beside this file when run from source, beside the bundle that
// inlined this file (the packaged daemons), or back in the source tree when this file was compiled
// into dist/.
const BUILT = 'native/build/Release/hnet_native.node';
const candidates = [
  process.env.HNET_NATIVE_ADDON,
  new URL(`./${BUILT}`, import.meta.url).pathname,
  new URL('./hnet_native.node', import.meta.url).pathname,
  new URL(`../../src-helper/${BUILT}`, import.meta.url).pathname,
].filter((path): path is string => path !== undefined);
const addonPath = candidates.find((path) => existsSync(path)) ?? candidates[0]!;

let addon: NativeAddon | undefined;

export function loadNative(): NativeAddon {
  if (addon) return addon;
  try {
    addon = createRequire(import.meta.url)(addonPath) as NativeAddon;
  } catch (error) {
    throw new Error(
      `The hnet native addon could not be loaded from ${addonPath}; build it with ` +
        `"node --import tsx scripts/build-native.ts". (${(error as Error).message})`,
      { cause: error },
    );
  }
  return addon;
}

/**
 * The file descriptor behind a connected net.Socket. Node exposes it only on the internal handle;
 * it is -1 on Windows (named pipes), where the addon's Unix-socket functions do not apply.
 */
export function socketFd(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle;
  const fd = handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new Error('The socket has no file descriptor (it is closed or not a Unix socket).');
  }
  return fd;
}

/**
 * Who connected to a Unix socket server: pid, uid and gid as recorded by the kernel at connect
 * time (SO_PEERCRED on Linux, getpeereid + LOCAL_PEERPID on macOS). Unforgeable by the client.
 */
export function peerCredentials(socket: Socket): PeerCredentials {
  return loadNative().peerCredentials(socketFd(socket));
}
