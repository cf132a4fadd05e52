// Small pieces several features use: a labelled field, a copy button, an address with its copy button,
// steps under way, a feature's last message, and a ticking clock.
import { useEffect, useState, type ReactNode } from 'react';
import { useApp } from './app-store.js';

/** An input with its visible label (and a hint under it): a form a person can read. */
export function Field({ label, hint, children }: { label: string; hint?: string; children: ReactNode }) {
  return (
    <label className="field">
      <span className="label">{label}</span>
      {children}
      {hint && <span className="hint">{hint}</span>}
    </label>
  );
}

/** Copies `text`; `what` names it for the button's accessible name ("Copy fingerprint"). */
export function CopyButton({ text, what, feature }: { text: string; what: string; feature: string }) {
  const copy = useApp((s) => s.copy);
  return (
    <button
      type="button"
      className="copy quiet"
      aria-label={`Copy ${what}`}
      onClick={() => void copy(feature, text)}
    >
      Copy
    </button>
  );
}

/** Something that takes seconds, step by step: done, under way, still to come. */
export function Steps({
  label,
  steps,
}: {
  label: string;
  steps: { text: string; state: 'done' | 'now' | 'next' }[];
}) {
  return (
    <ol className="steps" aria-label={label}>
      {steps.map((step) => (
        <li key={step.text} data-state={step.state} aria-current={step.state === 'now' ? 'step' : undefined}>
          {step.text}
          {step.state === 'now' ? '…' : ''}
        </li>
      ))}
    </ol>
  );
}

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
