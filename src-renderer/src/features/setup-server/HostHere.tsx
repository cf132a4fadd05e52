// "Host a server on this machine": one click starts hnet-server here and moves this device to it. It
// takes seconds, so each step shows while it runs; then the server's setup link (the command for other
// devices is the server in use's, ServerInUse.tsx). When this device moves to another server, the shell stops this one and says so.
import { useApp } from '../../app/app-store.js';
import { CopyButton, Steps } from '../../app/shared.js';
import { hostingProgress } from './server-setup-view.js';

export function HostHereButton() {
  const busy = useApp((s) => s.busy['hosting'] ?? false);
  const hosting = useApp((s) => s.hosting);
  const hostHere = useApp((s) => s.hostHere);
  const steps = hostingProgress(hosting);
  return (
    <div className="host-here">
      <div className="actions">
        <button type="button" className="primary" disabled={busy} onClick={() => void hostHere()}>
          Host a server on this machine
        </button>
      </div>
      {steps && <Steps label="Hosting a server here" steps={steps} />}
    </div>
  );
}

/** The server hosted here, while it runs or after it was stopped. */
export function HostedServerCard() {
  const hosting = useApp((s) => s.hosting);
  if (hosting.state === 'stopped')
    return (
      <p className="callout" role="status" aria-label="Server on this machine">
        The server this machine hosted ({hosting.url}) was stopped: this device now uses {hosting.movedTo}.
      </p>
    );
  if (hosting.state !== 'running') return null;
  const { setupUrl, logFile } = hosting.server;
  return (
    <div className="callout" role="group" aria-label="Server on this machine">
      <h3>hnet-server runs on this machine</h3>
      <p className="muted">Other devices use it with the command above. Its log: {logFile}</p>
      {setupUrl && (
        <>
          <p>
            It has no account yet. Create yours, as its owner, in its dashboard: this link carries the
            one-time setup token hnet-server printed, so nobody else on the network can take the server first.
          </p>
          <div className="actions">
            <a className="button primary" href={setupUrl} target="_blank" rel="noreferrer">
              Create the owner account
            </a>
            <CopyButton text={setupUrl} what="setup link" feature="hosting" />
          </div>
        </>
      )}
    </div>
  );
}
