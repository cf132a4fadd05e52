// Who is connected: every TCP connection, the cookie each was given, and the device each proved to be.
import type { ClientConnection, Device } from './connection.js';
import { idKey } from './connection.js';

export class ClientRegistry {
  private readonly connections = new Set<ClientConnection>();
  private readonly byCookie = new Map<string, ClientConnection>();
  private readonly devices = new Map<string, Device>();

  get connectionCount(): number {
    return this.connections.size;
  }

  get deviceCount(): number {
    return this.devices.size;
  }

  add(connection: ClientConnection): void {
    this.connections.add(connection);
    this.byCookie.set(connection.cookieKey, connection);
  }

  /** Forgets a closed connection; returns its device if that device is now offline. */
  remove(connection: ClientConnection): Device | undefined {
    this.connections.delete(connection);
    this.byCookie.delete(connection.cookieKey);
    const device = connection.device;
    if (!device || this.devices.get(device.key) !== device) return undefined;
    this.devices.delete(device.key);
    return device;
  }

  connectionByCookie(cookie: Uint8Array): ClientConnection | undefined {
    return this.byCookie.get(idKey(cookie));
  }

  device(key: string): Device | undefined {
    return this.devices.get(key);
  }

  /**
   * Binds a connection to the identity it proved. A device has one live connection: when it
   * reconnects, the newer connection wins and the older one is returned for the caller to close.
   */
  authenticate(
    connection: ClientConnection,
    id: Uint8Array,
    publicKey: Uint8Array,
  ): { device: Device; displaced: ClientConnection | undefined } {
    const key = idKey(id);
    const previous = this.devices.get(key);
    const device: Device = { id: id.slice(), key, publicKey: publicKey.slice(), connection, udp: undefined };
    connection.device = device;
    this.devices.set(key, device);
    return { device, displaced: previous?.connection };
  }

  allConnections(): IterableIterator<ClientConnection> {
    return this.connections.values();
  }

  allDevices(): IterableIterator<Device> {
    return this.devices.values();
  }
}
