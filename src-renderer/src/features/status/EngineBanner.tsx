// The window's link to the engine, said at once when it breaks: the page greys out below it (App.tsx)
// and reconnects by itself.
import { useApp } from '../../app/app-store.js';
import { useNow } from '../../app/shared.js';
import { describeEngineLink } from './engine-view.js';

export function EngineBanner() {
  const link = useApp((s) => s.link);
  const lostAt = useApp((s) => s.lostAt);
  const now = useNow(1000);
  const banner = describeEngineLink(link, lostAt, now);
  if (!banner) return null;
  return (
    <section className="engine-banner" role="alert" aria-label="hnet engine" data-link={link.state}>
      <h2>{banner.title}</h2>
      <p>{banner.detail}</p>
    </section>
  );
}
