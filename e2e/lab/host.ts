import { NetNode, type ProcessRegistry } from './net-node.js';
import type { Segment } from './segment.js';

/** A machine with one interface (`eth0`) on one segment and its own /etc/hosts. */
export class Host extends NetNode {
  constructor(
    name: string,
    namespace: string,
    registry: ProcessRegistry,
    readonly segment: Segment,
    /** Its IPv4 address on the segment. */
    readonly ip: string,
    /** Outside path of the file its processes see as /etc/hosts (private to this host). */
    readonly hostsFile: string,
  ) {
    super(name, namespace, registry);
  }
}
