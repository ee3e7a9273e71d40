/**
 * Preloaded into a process (`NODE_OPTIONS="--import tsx --import <this file>"`, set by
 * `bench:fanout --profile <dir>`), records a V8 CPU profile from start-up and writes it to
 * CPU_PROFILE_DIR on SIGUSR2. Node's own `--cpu-prof` would be simpler, but it is refused in
 * NODE_OPTIONS and the launcher owns the command line; and it writes only at exit, which a process
 * ended by SIGKILL after its grace time never reaches.
 */
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readEnv, str } from '../common/env.ts';

const { directory } = readEnv({ directory: str('CPU_PROFILE_DIR', 'Where bench/cpu-profile.ts writes its profiles.', '.') });
const session = new Session();
session.connect();
session.post('Profiler.enable', () => {
  session.post('Profiler.setSamplingInterval', { interval: 200 }, () => {
    session.post('Profiler.start');
  });
});

process.on('SIGUSR2', () => {
  session.post('Profiler.stop', (error, result) => {
    if (error) return;
    writeFileSync(join(directory, `gateway-${process.pid}-${Date.now()}.cpuprofile`), JSON.stringify(result.profile));
    session.post('Profiler.start');
  });
});
