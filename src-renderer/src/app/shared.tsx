// Small pieces several features use: an address with its copy button, a feature's last message, and
// a ticking clock.
import { useEffect, useState } from 'react';
import { useApp } from './app-store.js';

export function CopyableAddress({ address, feature }: { address: string; feature: string }) {
  const copy = useApp((s) => s.copy);
  return (
    <span className="address">
      <code>{address}</code>
      <button
        type="button"
        className="copy"
        aria-label={`Copy ${address}`}
        onClick={() => void copy(feature, address)}
      >
        Copy
      </button>
    </span>
  );
}

export function FeedbackLine({ feature }: { feature: string }) {
  const feedback = useApp((s) => s.feedback[feature]);
  if (!feedback) return null;
  return (
    <p className={`feedback ${feedback.kind}`} role={feedback.kind === 'error' ? 'alert' : 'status'}>
      {feedback.text}
    </p>
  );
}

/** The time now, ticking every `intervalMs`, so "12 s ago" ages between status updates. */
export function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
