// This device at a glance: its name and address, and how it reaches the base server.
import type { BaseStatus } from '../../../../src-main/engine/status.js';
import { useApp } from '../../app/app-store.js';
import { CopyableAddress, FeedbackLine } from '../../app/shared.js';

function baseLine(base: BaseStatus): string {
  if (base.state === 'connected')
    return `Connected to ${base.server ?? 'the base server'} over ${base.transport === 'tcp' ? 'TCP' : 'UDP'}`;
  if (base.state === 'connecting') return `Connecting to ${base.server ?? 'a base server'}…`;
  return 'Offline';
}

export function OwnStatus() {
  const status = useApp((s) => s.status);
  const link = useApp((s) => s.link);
  // A missing helper has its own offer below; repeating it here would only add noise.
  const helperMissing = useApp((s) => s.helper?.installed === false);
  if (link.state !== 'up' && !status)
    return (
      <section className="own-status offline" aria-label="This device">
        <h2>{link.state === 'connecting' ? 'Connecting to hnet…' : 'hnet is not reachable'}</h2>
        <p>{link.reason}</p>
      </section>
    );
  if (!status) return null;
  return (
    <section className={`own-status ${status.base.state}`} aria-label="This device">
      <div>
        <h2>{status.hostname}</h2>
        <CopyableAddress address={status.address} feature="own-address" />
        <FeedbackLine feature="own-address" />
      </div>
      <div className="base" role="group" aria-label="Base server">
        <strong data-state={status.base.state}>{baseLine(status.base)}</strong>
        {status.base.reason && <span className="reason">{status.base.reason}</span>}
      </div>
      {link.state === 'down' && <p className="feedback error">Lost hnet: {link.reason}</p>}
      {status.hostsFile.state === 'failed' && !helperMissing && (
        <p className="feedback error">Hostnames are not in /etc/hosts: {status.hostsFile.reason}</p>
      )}
    </section>
  );
}
