// DEVICE_ADDRESSES: answering REQUEST_INFO, and pushing a fresh list to everyone who asked about a
// device whenever its endpoints change (PROTOCOL.md §5, "push late endpoints").
import type { Endpoint } from '../../src-protocol/endpoint.js';
import type { AddressBook } from './address-book.js';
import type { ClientRegistry } from './client-registry.js';
import type { Cluster } from './cluster/cluster.js';
import { idKey, type Device } from './connection.js';
import type { BaseMetrics } from './metrics.js';

export class DeviceAddresses {
  /** The other bases, when this one is part of a cluster: they learn of our devices and we of theirs. */
  cluster: Cluster | undefined = undefined;

  constructor(
    private readonly book: AddressBook,
    private readonly registry: ClientRegistry,
    private readonly metrics: BaseMetrics,
  ) {}

  /** A connection proved it is this device. */
  online(device: Device): void {
    this.cluster?.publish(device.connection);
  }

  /** INFO arrived: the device's announced local endpoints. */
  announced(device: Device, endpoints: readonly Endpoint[]): void {
    if (this.book.setAnnounced(device.key, endpoints)) this.changed(device);
  }

  /** A NAT_INIT was accepted from a new UDP source. */
  natObserved(device: Device, endpoint: Endpoint): void {
    if (this.book.setNatObserved(device.key, endpoint)) this.changed(device);
  }

  endpointsOf(key: string): Endpoint[] {
    return this.book.endpointsOf(key);
  }

  /**
   * REQUEST_INFO. Stock clients reject an empty list, so a device the base knows no usable
   * endpoint of gets no answer now; the asker is told as soon as the device has one.
   */
  requested(asker: Device, target: Uint8Array): void {
    const key = idKey(target);
    this.book.noteInterest(asker.key, key);
    const own = this.book.endpointsOf(key);
    const endpoints =
      own.length > 0 || this.registry.device(key) ? own : [...(this.cluster?.endpointsOf(key) ?? [])];
    if (endpoints.length > 0) asker.connection.send({ kind: 'deviceAddresses', id: target, endpoints });
  }

  offline(device: Device): void {
    this.book.forget(device.key);
    this.cluster?.withdraw(device.id);
  }

  private changed(device: Device): void {
    this.cluster?.publish(device.connection);
    this.push(device.id, device.key, this.book.endpointsOf(device.key));
  }

  /** Tells everyone of ours who asked about the device `id` (its idKey `key`) these endpoints. */
  push(id: Uint8Array, key: string, endpoints: readonly Endpoint[]): void {
    if (endpoints.length === 0) return;
    for (const askerKey of this.book.askersOf(key)) {
      const asker = this.registry.device(askerKey);
      if (!asker) continue;
      asker.connection.send({ kind: 'deviceAddresses', id, endpoints: [...endpoints] });
      this.metrics.counters.addressPushes++;
    }
  }
}
