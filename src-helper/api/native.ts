// Typed loader for the root helper's N-API addon (src-helper/native): peer credentials, TUN open,
// fd passing and, on Windows, the named-pipe acceptor and the Wintun reader. Nothing in it reads a
// packet on Linux or macOS; the engine's data plane is a separate addon (src-main/native), which
// the helper never loads. The engine loads this one too, for requestWithFd and peerCredentials.
// The addon is loaded lazily, on the first call, so modules that merely import this file still
// load where the addon is not built.
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

/** A TUN reader's device half: the Wintun relay's on Windows, extended by the engine's own reader. */
export interface PacketReaderHandle {
  /** One write() (or Wintun send); false when the kernel queue was full or the reader has ended. */
  write(packet: Uint8Array): boolean;
  /** Stops reading; onEnd(null) follows once it has stopped and the device is closed. */
  close(): void;
}

/**
 * Which instance of a named pipe acceptPipeClient creates: the single instance of a data pipe, or
 * the first / a further instance of the multi-instance control pipe (only the first claims the
 * name with FIRST_PIPE_INSTANCE; the others join it).
 */
export type PipeInstance = 'only' | 'first' | 'another';

/** The raw addon surface; see src-helper/native/src/addon.cc. */
export interface HelperAddon {
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
  /**
   * Windows only (absent elsewhere): reads a Wintun adapter's session on a thread of its own, for
   * the relay to the engine (wintun-relay.ts). onBatch as the engine's TunReader.
   */
  TunReader?: new (
    adapter: string,
    onBatch: (data: ArrayBuffer, ends: Uint32Array) => void,
    onEnd: (error: NativeError | null) => void,
  ) => PacketReaderHandle;
}

/** Errors thrown by either addon carry the errno name (EBUSY, EPERM…) in `code`. */
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
// inlined this file (the helper and the packaged daemons), or back in the source tree when this
// file was compiled into dist/.
const FILE = 'hnet_helper.node';
const BUILT = `native/build/Release/${FILE}`;
const candidates = [
  process.env.HNET_NATIVE_ADDON,
  new URL(`../${BUILT}`, import.meta.url).pathname,
  new URL(`./${FILE}`, import.meta.url).pathname,
  new URL(`../../../src-helper/${BUILT}`, import.meta.url).pathname,
].filter((path): path is string => path !== undefined);
/** The file loadNative loads (or would). */
export const helperAddonPath = candidates.find((path) => existsSync(path)) ?? candidates[0]!;

let addon: HelperAddon | undefined;

export function loadNative(): HelperAddon {
  if (addon) return addon;
  try {
    addon = createRequire(import.meta.url)(helperAddonPath) as HelperAddon;
  } catch (error) {
    throw new Error(
      `The hnet helper addon could not be loaded from ${helperAddonPath}; build it with ` +
        `"npm run build:native". (${(error as Error).message})`,
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
