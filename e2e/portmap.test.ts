// hnet's port-mapping client against a real router daemon: miniupnpd in lab routers that NAT
// symmetrically, one answering only PCP, one only NAT-PMP, one only UPnP IGD. Each mapping is
// checked for real: a datagram from a server on the Internet to the mapped endpoint reaches the
// client's socket and its answer comes back; stopping the client removes the router's forward;
// a router restart is noticed and the mapping made again.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Lab, type Host, type LabProcess, type Router } from './lab/index.js';

const client = 'e2e/lab/fixtures/port-mapping-client.ts';
const probe = 'e2e/lab/fixtures/net-probe.ts';
const port = 41641;

const lab = await Lab.create();
after(() => lab.destroy());

const inet = await lab.segment('inet');
const server = await lab.host('server', { on: inet });
const [pcpLan, natPmpLan, upnpLan] = [
  await lab.segment('lan1'),
  await lab.segment('lan2'),
  await lab.segment('lan3'),
];
const [pcpRouter, natPmpRouter, upnpRouter] = await Promise.all([
  lab.router('pcp', { wan: inet, lan: pcpLan, mode: 'symmetric', portMapping: { pcp: true } }),
  lab.router('natpmp', { wan: inet, lan: natPmpLan, mode: 'symmetric', portMapping: { natPmp: true } }),
  lab.router('upnp', { wan: inet, lan: upnpLan, mode: 'symmetric', portMapping: { upnp: true } }),
]);
const [a, b, c] = await Promise.all([
  lab.host('a', { on: pcpLan }),
  lab.host('b', { on: natPmpLan }),
  lab.host('c', { on: upnpLan }),
]);
const routersUp = Date.now();

async function startClient(host: Host, args: readonly string[] = []): Promise<LabProcess> {
  const mapper = host.spawnScript(client, [String(port), ...args]);
  await mapper.waitForOutput(/^ready$/m);
  return mapper;
}

async function mapping(
  mapper: LabProcess,
  count: number,
  router: Router,
): Promise<{ protocol: string; external: string }> {
  try {
    const [, protocol, external] = await mapper.waitForOutput(
      new RegExp(`^mapped ${count} (\\S+) (\\S+)$`, 'm'),
      15_000,
    );
    return { protocol: protocol!, external: external! };
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\nclient stdout:\n${mapper.stdout}\nrouter ${router.name}:\n${await router.portForwards()}`,
    );
  }
}

/** What the client answered a server on the Internet that sent to `external`, or null. */
async function askFromInternet(external: string): Promise<string | null> {
  const { stdout } = await server.runScript(probe, ['udp-ask', external, '--timeout=2000']);
  return (JSON.parse(stdout) as { replies: { seenFrom: string | null }[] }).replies[0]?.seenFrom ?? null;
}

async function stopClient(mapper: LabProcess): Promise<void> {
  await mapper.stop(5000);
  assert.match(mapper.stdout, /^stopped$/m, mapper.stderr);
}

describe('port mapping with miniupnpd', () => {
  for (const [protocol, host, router] of [
    ['pcp', a, pcpRouter],
    ['nat-pmp', b, natPmpRouter],
    ['upnp', c, upnpRouter],
  ] as const) {
    test(`${protocol}: the router forwards its external port to the client, both ways, until the client stops`, async () => {
      const mapper = await startClient(host);
      const mapped = await mapping(mapper, 1, router);
      assert.equal(mapped.protocol, protocol);
      assert.match(mapped.external, new RegExp(`^${router.publicIp.replaceAll('.', '\\.')}:\\d+$`));
      assert.equal((await router.portForwards()).length, 1);

      const seenFrom = await askFromInternet(mapped.external);
      assert.ok(
        seenFrom?.startsWith(`${server.ip}:`),
        `the server's datagram should reach the client; got ${seenFrom}`,
      );
      assert.match(
        mapper.stdout,
        new RegExp(`^datagram hello from ${server.ip.replaceAll('.', '\\.')}:`, 'm'),
      );

      await stopClient(mapper);
      assert.deepEqual(await router.portForwards(), []);
      assert.equal(await askFromInternet(mapped.external), null);
    });
  }

  test('a router restart (mappings forgotten, epoch from 0) is noticed at the next check and the mapping made again', async () => {
    // Within its first seconds a restart cannot be told from clock jitter (RFC 6887 §8.5 allows
    // 2 s), and a real router is up far longer: let this one have been up a while.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, routersUp + 5000 - Date.now())));
    const mapper = await startClient(a, ['--check=1000', '--retry=1000']);
    const first = await mapping(mapper, 1, pcpRouter);
    await pcpRouter.restartPortMapping();
    const again = await mapping(mapper, 2, pcpRouter);
    assert.deepEqual(again, first);
    assert.ok((await askFromInternet(again.external))?.startsWith(`${server.ip}:`));
    await stopClient(mapper);
  });

  test('a router that goes away is noticed, saying why, and once it is back the mapping is made again', async () => {
    const mapper = await startClient(a, ['--check=1000', '--retry=1000']);
    await mapping(mapper, 1, pcpRouter);
    await pcpRouter.stopPortMapping();
    await mapper.waitForOutput(/^unmapped no router answered PCP, NAT-PMP or UPnP$/m);
    await pcpRouter.startPortMapping({ pcp: true });
    const again = await mapping(mapper, 2, pcpRouter);
    assert.ok((await askFromInternet(again.external))?.startsWith(`${server.ip}:`));
    await stopClient(mapper);
  });
});
