// The first-run screen: a device with no server, no network and no peer gets three ways forward, each
// ending on the view that shows where it got to, and the devices already heard on its LAN.
import { useApp } from '../../app/app-store.js';
import { FeedbackLine } from '../../app/shared.js';
import { NearbyDevices } from '../nearby/NearbyDevices.js';
import { JoinForm } from '../networks/JoinForm.js';
import { HostHereButton } from '../setup-server/HostHere.js';
import { UseServerForm } from '../setup-server/UseServerForm.js';

export function Welcome() {
  const show = (view: 'server' | 'networks') => () => useApp.setState({ view });
  return (
    <>
      <section className="welcome" aria-label="Get started">
        <h2>Get started</h2>
        <p className="lead">
          hnet connects your devices directly, wherever they are. Devices meet through a server: host one
          here, use one you were given, or join a network with a code.
        </p>
        <div className="ways">
          <article className="card" aria-label="Host a server here">
            <h3>
              <span className="step-number">1</span> Host a server here
            </h3>
            <p className="muted">
              Starts hnet-server on this machine, as you. You then create your account in its dashboard and
              hand out join codes.
            </p>
            <HostHereButton />
            <FeedbackLine feature="hosting" />
          </article>
          <article className="card" aria-label="Use a server">
            <h3>
              <span className="step-number">2</span> Use a server
            </h3>
            <p className="muted">Its address and key fingerprint, as its owner gave them to you.</p>
            <UseServerForm onUsed={show('server')} />
          </article>
          <article className="card" aria-label="Join with a code">
            <h3>
              <span className="step-number">3</span> Join with a code
            </h3>
            <p className="muted">
              A join code from a server&apos;s dashboard puts this device in its network.
            </p>
            <JoinForm onJoined={show('networks')} />
          </article>
        </div>
      </section>
      <NearbyDevices />
    </>
  );
}
