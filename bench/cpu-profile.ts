// Preloaded with `--import` (NODE_OPTIONS) to write a V8 CPU profile of a process that Node will not
// let `--cpu-prof` reach through NODE_OPTIONS: started at load, written synchronously at exit (the
// in-process inspector session answers synchronously) into $HNET_CPU_PROFILE_DIR.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { basename, join } from 'node:path';

const dir = process.env.HNET_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  process.on('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      const name = `${basename(process.argv[1] ?? 'node', '.ts')}-${process.pid}.cpuprofile`;
      writeFileSync(join(dir, name), JSON.stringify(result.profile));
    });
  });
}
