// When the root helper is missing, hnet cannot create its network device: say so, and offer the
// one-time installation where this shell can run it.
import { useApp } from '../../app/app-store.js';
import { sentence } from '../../lib/format.js';
import { FeedbackLine } from '../../app/shared.js';

export function HelperOffer() {
  const helper = useApp((s) => s.helper);
  const busy = useApp((s) => s.busy['helper'] ?? false);
  const run = useApp((s) => s.run);
  if (!helper || helper.installed) return null;
  const install = async () => {
    const state = await run('helper', 'helper.install', {}, 'The hnet helper is installed.');
    if (state) useApp.setState({ helper: state });
  };
  return (
    <section className="helper-offer" role="region" aria-label="Root helper">
      <p>
        <strong>Root helper not installed.</strong> {sentence(helper.reason)}
      </p>
      {helper.canInstall && (
        <button type="button" disabled={busy} onClick={() => void install()}>
          Install it (asks for your password once)
        </button>
      )}
      <FeedbackLine feature="helper" />
    </section>
  );
}
