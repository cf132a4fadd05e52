// Joining a network with a code from a server's dashboard, under a name of your choosing (the
// machine's own by default; the server suffixes a name already taken and the answer says so).
import { useState } from 'react';
import { useApp } from '../../app/app-store.js';
import { Field, FeedbackLine } from '../../app/shared.js';
import { joinedSentence } from './network-view.js';

export function JoinForm({ onJoined }: { onJoined?: () => void }) {
  const busy = useApp((s) => s.busy['networks'] ?? false);
  const run = useApp((s) => s.run);
  const ownName = useApp((s) => s.status?.hostname ?? '');
  const [code, setCode] = useState('');
  const [hostname, setHostname] = useState('');

  const join = async () => {
    const name = hostname.trim();
    const result = await run(
      'networks',
      'join',
      { code: code.trim(), ...(name ? { hostname: name } : {}) },
      joinedSentence,
    );
    if (!result) return;
    setCode('');
    setHostname('');
    onJoined?.();
  };

  return (
    <>
      <form
        className="form"
        aria-label="Join a network"
        onSubmit={(e) => {
          e.preventDefault();
          void join();
        }}
      >
        <Field label="Join code" hint="From the server’s dashboard, under Join codes.">
          <input
            placeholder="fc94:…/…"
            value={code}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setCode(e.target.value)}
          />
        </Field>
        <Field
          label="Name for this device"
          hint="Others reach it by this name. Leave empty for this machine’s own."
        >
          <input
            placeholder={ownName || 'this device'}
            value={hostname}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setHostname(e.target.value)}
          />
        </Field>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || code.trim() === ''}>
            {busy ? 'Joining…' : 'Join'}
          </button>
        </div>
      </form>
      <FeedbackLine feature="networks" />
    </>
  );
}
