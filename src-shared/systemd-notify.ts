// systemd's Type=notify: a service says READY=1 once it serves, so units ordered After= it start
// only then. hnetd sends it once its control socket answers, the root helper once its socket
// accepts callers; hnetd.service is ordered after the helper, so its first openTun finds it.
//
// Node cannot send on an AF_UNIX datagram socket, so systemd-notify (shipped with systemd) sends
// it for us. It is our child, not the main process: the units need NotifyAccess=all.
//
// The root helper imports this module too, so it depends on nothing but Node.
import { spawn } from 'node:child_process';

/** Tells systemd this process is ready, when systemd asked to be told (NOTIFY_SOCKET is set). */
export function notifySystemdReady(onError: (error: Error) => void, env = process.env): void {
  if (!env['NOTIFY_SOCKET']) return;
  const child = spawn('systemd-notify', ['--ready', `--pid=${process.pid}`], { stdio: 'ignore', env });
  child.on('error', onError);
  child.on('exit', (code) => {
    if (code) onError(new Error(`systemd-notify --ready exited with status ${code}`));
  });
}
