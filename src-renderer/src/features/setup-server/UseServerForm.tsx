// "Use a server": its address and the key fingerprint its owner gave you. The engine reads the address
// as `hnet setup-server` does (one parser, one set of sentences); without a fingerprint it only answers
// the server's key to compare, and it switches only to a server whose key has the fingerprint given.
import { useState } from 'react';
import type { SetupServerResult } from '../../../../src-main/contract/control-calls.js';
import { useApp } from '../../app/app-store.js';
import { CopyButton, Field, FeedbackLine } from '../../app/shared.js';
import { useServerAction } from './server-setup-view.js';

export function UseServerForm({ onUsed }: { onUsed?: () => void }) {
  const busy = useApp((s) => s.busy['server'] ?? false);
  const run = useApp((s) => s.run);
  const [url, setUrl] = useState('');
  const [fingerprint, setFingerprint] = useState('');
  const [preview, setPreview] = useState<(SetupServerResult & { url: string }) | undefined>();
  const action = useServerAction(fingerprint);

  const use = async (address: string, key: string) => {
    const used = await run(
      'server',
      'setupServer',
      { url: address, fingerprint: key },
      (result) => `hnet now uses ${result.name} (${address}).`,
    );
    if (!used) return;
    setPreview(undefined);
    setFingerprint('');
    onUsed?.();
  };
  const submit = async () => {
    const address = url.trim();
    if (action === 'Use this server') return use(address, fingerprint.trim());
    const shown = await run('server', 'setupServer', { url: address });
    if (shown) setPreview({ ...shown, url: address });
  };

  return (
    <div className="use-server">
      <form
        className="form"
        aria-label="Use a server"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Field
          label="Server address"
          hint="As its owner gave it: 192.168.1.20, server.example:5580 or https://…"
        >
          <input
            value={url}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => {
              setUrl(e.target.value);
              setPreview(undefined);
            }}
          />
        </Field>
        <Field
          label="Key fingerprint"
          hint="Paste the one its owner gave you. Without it, hnet shows the server’s key first and changes nothing."
        >
          <input
            className="fingerprint-input"
            value={fingerprint}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => {
              setFingerprint(e.target.value);
              setPreview(undefined);
            }}
          />
        </Field>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || url.trim() === ''}>
            {busy ? 'Checking…' : action}
          </button>
        </div>
      </form>
      {preview && (
        <div className="callout" role="dialog" aria-label="Confirm server">
          <h3>{preview.name}</h3>
          <dl className="facts">
            <dt>Address</dt>
            <dd>{preview.url}</dd>
            <dt>Key fingerprint</dt>
            <dd className="with-copy">
              <code className="fingerprint">{preview.fingerprint}</code>
              <CopyButton text={preview.fingerprint} what="fingerprint" feature="server" />
            </dd>
            <dt>Base servers</dt>
            <dd>{preview.baseServers.join(', ') || 'none listed'}</dd>
          </dl>
          <p>
            Nothing was changed. Compare this fingerprint with the one the server&apos;s owner sees
            (hnet-server prints it as &ldquo;license key&rdquo;). Use the server only if they match.
          </p>
          <div className="actions">
            <button
              type="button"
              className="primary"
              disabled={busy}
              onClick={() => void use(preview.url, preview.fingerprint)}
            >
              Use this server
            </button>
            <button type="button" className="quiet" disabled={busy} onClick={() => setPreview(undefined)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <FeedbackLine feature="server" />
    </div>
  );
}
