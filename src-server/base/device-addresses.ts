// DEVICE_ADDRESSES: answering REQUEST_INFO, and pushing a fresh list to everyone who asked about a
// device whenever its endpoints change (PROTOCOL.md §5, "push late endpoints").
import type { Endpoint } from '../../src-protocol/endpoint.js';
import type { AddressBook } from './address-book.js';
import type { ClientRegistry } from './client-registry.js';
import { idKey, type Device } from './connection.js';
import type { BaseMetrics } from './metrics.js';

export class DeviceAddresses {
  constructor(
    private readonly book: AddressBook,
    private readonly registry: ClientRegistry,
    private readonly metrics: BaseMetrics,
  ) {}

  /** INFO arrived: the device's announced local endpoints. */
  announced(device: Device, endpoints: readonly Endpoint[]): void {
    if (this.book.setAnnounced(device.key, endpoints)) this.push(device);
  }

  /** A NAT_INIT was accepted from a new UDP source. */
  natObserved(device: Device, endpoint: Endpoint): void {
    if (this.book.setNatObserved(device.key, endpoint)) this.push(device);
  }

  /**
   * REQUEST_INFO. Stock clients reject an empty list, so a device the base knows no usable
   * endpoint of gets no answer now; the asker is told as soon as the device has one.
   */
  requested(asker: Device, target: Uint8Array): void {
    const key = idKey(target);
    this.book.noteInterest(asker.key, key);
    const endpoints = this.book.endpointsOf(key);
    if (endpoints.length > 0) asker.connection.send({ kind: 'deviceAddresses', id: target, endpoints });
  }

  offline(device: Device): void {
    this.book.forget(device.key);
  }

  private push(device: Device): void {
    const endpoints = this.book.endpointsOf(device.key);
    if (endpoints.length === 0) return;
    for (const askerKey of this.book.askersOf(device.key)) {
      const asker = this.registry.device(askerKey);
      if (!asker) continue;
      asker.connection.send({ kind: 'deviceAddresses', id: device.id, endpoints });
      this.metrics.counters.addressPushes++;
    }
  }
}
