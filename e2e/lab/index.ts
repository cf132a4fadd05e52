/**
 * The network lab: hosts, LANs, "the Internet" and NAT routers as Linux network namespaces, for
 * tests that run real hnet nodes over real sockets. Needs root.
 *
 * ```ts
 * import { after } from 'node:test';
 * import { Lab } from '../lab/index.js';
 *
 * const lab = await Lab.create();
 * after(() => lab.destroy()); // also runs by itself on exit, SIGINT, SIGTERM, uncaught exceptions
 *
 * const inet = await lab.segment('inet');
 * const lan = await lab.segment('lan1');
 * const nat = await lab.router('nat1', { wan: inet, lan, mode: 'cone' });
 * const a = await lab.host('a', { on: lan });        // a.ip: 198.18.1.2, default route via nat
 * const server = await lab.host('server', { on: inet });
 *
 * const echo = server.spawnScript('e2e/lab/fixtures/net-probe.ts', ['udp-echo', '7000']);
 * await echo.waitForOutput(/ready/);
 * const { stdout } = await a.runScript('e2e/lab/fixtures/net-probe.ts', ['udp-ask', `${server.ip}:7000`]);
 * // the server saw nat.publicIp as the source
 *
 * const home = await lab.router('home', {            // miniupnpd answers its LAN's PCP and UPnP
 *   wan: inet, lan: await lab.segment('lan2'), portMapping: { pcp: true, upnp: true },
 * });
 * await home.restartPortMapping();                    // it forgets its mappings, as on a reboot
 * await nat.setMode('udpBlocked');                    // later: only TCP leaves the LAN
 * const cut = await inet.cut(nat.publicIp, server.ip); // drop one path mid-test
 * await cut.heal();
 * await a.exec(['ping', '-c1', server.ip]);           // throws with command and stderr on failure
 * await a.exec(['id'], { user: LOCAL_USER });         // as an unprivileged user, no capabilities
 * ```
 *
 * Addresses come from 198.18.0.0/15 (RFC 2544), one /24 per segment in creation order; a router
 * is .1 on its LAN, everything else counts up from .2. Every namespace has IPv6 on, without
 * duplicate address detection, and loopback up. Each host has its own /etc/hosts (outside path:
 * `host.hostsFile`); it is a bind mount, so rewrite it in place, never rename over it. Namespaces are named `<prefix>-<name>`, with a
 * per-run prefix `hn` + 5 base36 characters; a marker under /run/hnet-lab/ records the owning
 * process so `Lab.create()` can sweep labs of dead runs without touching live ones.
 *
 * `exec`, `spawn`, `runScript` and `spawnScript` take `{ user }` to run a command as one of the
 * numeric users of users.ts (no /etc/passwd entry needed) through setpriv: no capabilities, no new
 * privileges, HOME a folder of its own.
 */
export { Lab, type HostOptions, type RouterOptions } from './lab.js';
export type { Host } from './host.js';
export type { Router, NatMode } from './router.js';
export type { PortMappingOptions } from './port-mapping-daemon.js';
export type { Segment, Cut } from './segment.js';
export type { NetNode, RunAs } from './net-node.js';
export { ENGINE_USER, GROUP_MEMBER, HELPER_GROUP, LOCAL_USER, type LabUser } from './users.js';
export type { LabProcess, ExitStatus } from './process.js';
export { CommandError, type CommandResult, type CommandOptions } from './command.js';
export { sweepStaleLabs } from './ownership.js';
