// Moving to another hnet server in one step: the shell fetches the server's license and checks its
// signature, the user compares the key fingerprint, and only then does the engine switch.
import { useState } from 'react';
import type { HostedServer, ServerPreview } from '../../../../src-main/electron/ipc-schema.js';
import { useApp } from '../../app/app-store.js';
import { FeedbackLine } from '../../app/shared.js';

export function SetupServerDialog() {
  const busy = useApp((s) => s.busy['server'] ?? false);
  const run = useApp((s) => s.run);
  const copy = useApp((s) => s.copy);
  const [url, setUrl] = useState('');
  const [preview, setPreview] = useState<ServerPreview | undefined>();
  const [hosted, setHosted] = useState<HostedServer | undefined>();
  const setupUrl = hosted?.setupUrl;

  const check = async () => {
    setPreview(await run('server', 'server.preview', { url: url.trim() }));
  };
  const confirm = async (shown: ServerPreview) => {
    const used = await run(
      'server',
      'server.use',
      { url: shown.url, fingerprint: shown.fingerprint },
      `hnet now uses ${shown.name} (${shown.url}).`,
    );
    if (used) setPreview(undefined);
  };

  return (
    <section aria-label="Server">
      <h2>Server</h2>
      <p>hnet finds other devices through a server. Enter the address of yours to move this device to it.</p>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void check();
        }}
      >
        <input
          aria-label="Server address"
          placeholder="https://hnet.example.com"
          value={url}
          onChange={(e) => {
            setUrl(e.target.value);
            setPreview(undefined);
          }}
        />
        <button type="submit" disabled={busy || url.trim() === ''}>
          Check server
        </button>
      </form>
      {preview && (
        <div className="preview" role="dialog" aria-label="Confirm server">
          <h3>{preview.name}</h3>
          <dl>
            <dt>Address</dt>
            <dd>{preview.url}</dd>
            <dt>Key fingerprint</dt>
            <dd>
              <code className="fingerprint">{preview.fingerprint}</code>
            </dd>
            <dt>Base servers</dt>
            <dd>{preview.baseServers.join(', ') || 'none listed'}</dd>
            <dt>Valid until</dt>
            <dd>{preview.validUntil}</dd>
          </dl>
          <p>
            Compare the fingerprint with the one your server&apos;s owner sees. Use this server only if they
            match.
          </p>
          <div className="row">
            <button type="button" disabled={busy} onClick={() => void confirm(preview)}>
              Use this server
            </button>
            <button type="button" disabled={busy} onClick={() => setPreview(undefined)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <div className="row">
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            void run(
              'server',
              'server.hostHere',
              {},
              'hnet-server runs on this machine and hnet now uses it.',
            ).then((answer) => answer && setHosted(answer))
          }
        >
          Host a server on this machine
        </button>
      </div>
      {hosted && (
        <div role="group" aria-label="Server on this machine">
          <p>Other devices use this server with:</p>
          <code>
            hnet setup-server {hosted.url} --fingerprint &apos;{hosted.fingerprint}&apos;
          </code>
          {setupUrl && (
            <>
              <p>
                It has no account yet. Create yours, as its owner, in its dashboard: this link carries the
                one-time setup token hnet-server printed, so nobody else on the network can take the server
                first.
              </p>
              <div className="row">
                <a href={setupUrl} target="_blank" rel="noreferrer">
                  Create the owner account
                </a>
                <button type="button" onClick={() => void copy('server', setupUrl)}>
                  Copy link
                </button>
              </div>
            </>
          )}
          <p>Its log: {hosted.logFile}</p>
        </div>
      )}
      <FeedbackLine feature="server" />
    </section>
  );
}
