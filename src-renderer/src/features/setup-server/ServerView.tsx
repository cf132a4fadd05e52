// The Server view: the server in use, moving to another one, or hosting one here.
import { FeedbackLine } from '../../app/shared.js';
import { HostedServerCard, HostHereButton } from './HostHere.js';
import { ServerInUse } from './ServerInUse.js';
import { UseServerForm } from './UseServerForm.js';

export function ServerView() {
  return (
    <>
      <section aria-label="Server in use">
        <h2>Server in use</h2>
        <ServerInUse />
        <HostedServerCard />
      </section>
      <section aria-label="Use another server">
        <h2>Use a server</h2>
        <p className="muted">
          hnet finds other devices through a server. Type the address and the key fingerprint its owner gave
          you.
        </p>
        <UseServerForm />
      </section>
      <section aria-label="Host a server here">
        <h2>Host a server here</h2>
        <p className="muted">
          Runs hnet-server on this machine, as you, and moves this device to it. Other devices then use it
          with the command shown.
        </p>
        <HostHereButton />
        <FeedbackLine feature="hosting" />
      </section>
    </>
  );
}
