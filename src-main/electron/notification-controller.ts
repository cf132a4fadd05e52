// Desktop notifications when a peer connects or drops. The notifier is handed in (Electron's
// Notification in main.ts), so the decision of what to say is tested without Electron.
import type { Status } from '../contract/status.js';
import { describeChange, peerChanges } from './peer-changes.js';

export type Notify = (title: string, body: string) => void;

// A flapping peer or a whole network appearing at once must not bury the desktop in bubbles.
const MAX_PER_UPDATE = 3;

export class NotificationController {
  private last: Status | undefined;

  constructor(
    private readonly notify: Notify,
    private readonly enabled: () => boolean,
  ) {}

  onStatus(status: Status): void {
    const changes = peerChanges(this.last, status);
    this.last = status;
    if (!this.enabled() || changes.length === 0) return;
    for (const change of changes.slice(0, MAX_PER_UPDATE)) {
      const { title, body } = describeChange(change);
      this.notify(title, body);
    }
    if (changes.length > MAX_PER_UPDATE)
      this.notify('hnet', `${changes.length - MAX_PER_UPDATE} more peers changed`);
  }
}
