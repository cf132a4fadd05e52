// Teardown that must run however the process ends: normal exit, process.exit(), an uncaught
// exception (Node emits 'exit' for those too) or a terminating signal (which skips 'exit').
type Teardown = () => void;

const teardowns = new Set<Teardown>();
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function runAll(): void {
  for (const teardown of [...teardowns]) {
    teardowns.delete(teardown);
    teardown();
  }
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  uninstall();
  // With our handler gone, and nobody else listening, the default action ends the process with
  // the signal, so the parent sees the same cause of death it would have without a lab.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  process.on('exit', runAll);
  for (const signal of signals) process.on(signal, onSignal);
}

function uninstall(): void {
  process.off('exit', runAll);
  for (const signal of signals) process.off(signal, onSignal);
}

/** Registers a synchronous teardown; the returned function unregisters it. */
export function onProcessExit(teardown: Teardown): () => void {
  if (teardowns.size === 0) install();
  teardowns.add(teardown);
  return () => {
    teardowns.delete(teardown);
    if (teardowns.size === 0) uninstall();
  };
}
