// The port mapper against fake routers on loopback: real UDP, real HTTP, each test on an address
// of its own standing in for the default gateway.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { afterEach, describe, test } from 'node:test';
import { createLogger } from '../../log.js';
import type { DefaultGateways } from './default-gateway.js';
import { createPortMapper, type PortMapper, type PortMapperOptions } from './port-mapper.js';
import { describePortMapping, type PortMappingState } from './port-mapping-state.js';
import { FakePmpRouter, FakeUpnpRouter, loopbackAddress } from './test-routers.js';

const internalPort = 40123;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Run {
  mapper: PortMapper;
  states: PortMappingState[];
  logs: string[];
  /** Resolves with the first state (counting from `from`) that matches. */
  state(match: (s: PortMappingState) => boolean, from?: number): Promise<PortMappingState>;
}

function run(gateway: string | DefaultGateways, options: PortMapperOptions = {}): Run {
  const logs: string[] = [];
  const mapper = createPortMapper({
    log: createLogger('debug', (line) => logs.push(line)),
    findGateways: async () =>
      typeof gateway === 'string' ? { ipv4: { ip: gateway, interfaceName: 'lo' } } : gateway,
    retryDelaysMs: [40, 80, 160],
    ssdpMulticast: false,
    httpTimeoutMs: 1000,
    ...options,
  });
  const states: PortMappingState[] = [];
  let wake = () => undefined as void;
  const result = mapper.start(internalPort, (state) => {
    states.push(state);
    wake();
  });
  assert.ok(result.ok);
  cleanups.push(() => mapper.stop());
  return {
    mapper,
    states,
    logs,
    state: (match, from = 0) =>
      new Promise((resolve) => {
        const check = () => {
          const found = states.slice(from).find(match);
          if (found) resolve(found);
        };
        const previous = wake;
        wake = () => {
          previous();
          check();
        };
        check();
      }),
  };
}

// A hang guard, not a speed requirement: a mapper that never reaches a state fails its own test only.
const story = (name: string, body: () => Promise<void>) => test(name, { timeout: 15_000 }, body);

const isMapped = (s: PortMappingState) => s.state === 'mapped';
const since = (s: PortMappingState) => (s.state === 'mapped' ? s.since : NaN);
const isUnmapped = (s: PortMappingState) => s.state === 'unmapped';

async function pmpRouter(ip: string, options: Parameters<typeof FakePmpRouter.start>[1]) {
  const router = await FakePmpRouter.start(ip, options);
  cleanups.push(() => router.close());
  return router;
}

async function upnpRouter(ip: string, options?: Parameters<typeof FakeUpnpRouter.start>[1]) {
  const router = await FakeUpnpRouter.start(ip, options);
  cleanups.push(() => router.close());
  return router;
}

describe('port mapper', () => {
  story(
    'maps through PCP first and says so in status: protocol, router, external endpoint, lease left',
    async () => {
      const gateway = loopbackAddress();
      const router = await pmpRouter(gateway, { pcp: true, natPmp: true });
      const mapped = await run(gateway).state(isMapped);
      assert.equal(mapped.state === 'mapped' && mapped.protocol, 'pcp');
      assert.match(
        describePortMapping(mapped, since(mapped) + 60_000),
        new RegExp(
          `^mapped by PCP on ${gateway.replaceAll('.', '\\.')}: 203\\.0\\.113\\.5:${internalPort}, 1h59m left$`,
        ),
      );
      assert.equal(router.mappings.get(internalPort), internalPort);
      assert.ok(
        router.seen.every((r) => r.version === 2),
        'NAT-PMP was not needed',
      );
    },
  );

  story(
    'renews before the lease ends, keeping the same nonce, and a renewal is no news for onChange',
    async () => {
      const gateway = loopbackAddress();
      const router = await pmpRouter(gateway, { pcp: true, natPmp: false, grantSeconds: 2 });
      const mapper = run(gateway);
      const first = await mapper.state(isMapped);
      await router.until((r) => r.seen.length >= 3);
      const nonces = new Set(router.seen.map((r) => r.nonce));
      assert.equal(nonces.size, 1);
      assert.deepEqual(
        mapper.states.map((s) => s.state),
        ['mapping', 'mapped'],
      );
      const now = mapper.mapper.state();
      assert.ok(now.state === 'mapped' && first.state === 'mapped' && now.expiresAt! > first.expiresAt!);
    },
  );

  story('stop deletes the mapping on the router (lifetime 0, same nonce) and turns off', async () => {
    const gateway = loopbackAddress();
    const router = await pmpRouter(gateway, { pcp: true, natPmp: true });
    const mapper = run(gateway);
    await mapper.state(isMapped);
    await mapper.mapper.stop();
    assert.equal(router.mappings.size, 0);
    const last = router.seen.at(-1)!;
    assert.equal(last.lifetime, 0);
    assert.equal(last.nonce, router.seen[0]!.nonce);
    assert.deepEqual(mapper.mapper.state(), { state: 'off' });
    assert.equal(mapper.states.at(-1)?.state, 'off');
  });

  story(
    'a renewal lost on the way: starting over keeps the PCP nonce, so the router renews the mapping it holds',
    async () => {
      const gateway = loopbackAddress();
      const router = await pmpRouter(gateway, { pcp: true, natPmp: false });
      const mapper = run(gateway, { checkEveryMs: 100 });
      const first = await mapper.state(isMapped);
      router.dropNext = 3;
      const again = await mapper.state(isMapped, mapper.states.indexOf(first) + 1);
      assert.ok(again.state === 'mapped' && again.protocol === 'pcp');
      assert.ok(mapper.logs.some((line) => /event=portmap-renewal-failed protocol=pcp/.test(line)));
      assert.equal(mapper.states.filter(isUnmapped).length, 0);
    },
  );

  story(
    'a PCP router that restarted (epoch back to 0) is noticed at the next check and the mapping made again',
    async () => {
      const gateway = loopbackAddress();
      const router = await pmpRouter(gateway, { pcp: true, natPmp: false, epochAtStart: 5000 });
      const mapper = run(gateway, { checkEveryMs: 100 });
      const first = await mapper.state(isMapped);
      router.restart();
      const again = await mapper.state(isMapped, mapper.states.indexOf(first) + 1);
      assert.ok(again.state === 'mapped' && first.state === 'mapped' && again.since >= first.since);
      assert.equal(router.mappings.get(internalPort), internalPort);
      assert.ok(mapper.logs.some((line) => /event=portmap-mapped-again .*router restarted/.test(line)));
    },
  );

  story(
    'falls back to NAT-PMP at once when the router answers PCP in NAT-PMP, and deletes on stop',
    async () => {
      const gateway = loopbackAddress();
      const router = await pmpRouter(gateway, { pcp: false, natPmp: true, externalIp: '198.51.100.4' });
      const mapper = run(gateway);
      const mapped = await mapper.state(isMapped);
      assert.match(
        describePortMapping(mapped, since(mapped) + 60_000),
        /^mapped by NAT-PMP on .*: 198\.51\.100\.4:40123, 1h59m left$/,
      );
      assert.equal(router.seen.filter((r) => r.version === 2).length, 1, 'one PCP try, then NAT-PMP');
      await mapper.mapper.stop();
      assert.equal(router.mappings.size, 0);
    },
  );

  story('a NAT-PMP router that restarted is noticed through its epoch too', async () => {
    const gateway = loopbackAddress();
    const router = await pmpRouter(gateway, { pcp: false, natPmp: true, epochAtStart: 5000 });
    const mapper = run(gateway, { checkEveryMs: 100, protocols: ['nat-pmp'] });
    const first = await mapper.state(isMapped);
    router.restart();
    await mapper.state(isMapped, mapper.states.indexOf(first) + 1);
    assert.ok(mapper.logs.some((line) => /event=portmap-mapped-again .*router restarted/.test(line)));
  });

  story(
    'maps through UPnP IGD when nothing answers on 5351, for our own LAN address, and deletes on stop',
    async () => {
      const gateway = loopbackAddress();
      const router = await upnpRouter(gateway);
      const mapper = run(gateway);
      const mapped = await mapper.state(isMapped);
      assert.match(
        describePortMapping(mapped, since(mapped) + 60_000),
        /^mapped by UPnP on .*: 203\.0\.113\.7:40123, 1h59m left$/,
      );
      assert.deepEqual(router.mappings.get(internalPort), {
        internalClient: '127.0.0.1',
        internalPort,
        lease: 7200,
      });
      await mapper.mapper.stop();
      assert.equal(router.mappings.size, 0);
      assert.deepEqual(router.actions, ['GetExternalIPAddress', 'AddAnyPortMapping', 'DeletePortMapping']);
    },
  );

  story(
    'a UPnP router that restarted on another HTTP port: the failed check leads to discovery and the mapping comes back',
    async () => {
      const gateway = loopbackAddress();
      const router = await upnpRouter(gateway);
      const mapper = run(gateway, { checkEveryMs: 100 });
      const first = await mapper.state(isMapped);
      await router.restart();
      await mapper.state(isMapped, mapper.states.indexOf(first) + 1);
      assert.ok(router.mappings.has(internalPort));
      assert.ok(mapper.logs.some((line) => /event=portmap-renewal-failed protocol=upnp/.test(line)));
    },
  );

  story('with no router answering, status says so and names the three protocols', async () => {
    const mapper = run(loopbackAddress());
    const unmapped = await mapper.state(isUnmapped);
    assert.equal(describePortMapping(unmapped), 'not mapped: no router answered PCP, NAT-PMP or UPnP');
  });

  story('a router that refuses says why, in its own words', async () => {
    const gateway = loopbackAddress();
    await pmpRouter(gateway, { pcp: true, natPmp: false, pcpResult: 2 });
    const unmapped = await run(gateway).state(isUnmapped);
    assert.equal(
      describePortMapping(unmapped),
      `not mapped: ${gateway} refused the PCP mapping: not authorized`,
    );
  });

  story('garbage on 5351 is dropped, and the mapper carries on to UPnP', async () => {
    const gateway = loopbackAddress();
    await pmpRouter(gateway, { pcp: true, natPmp: true, garbage: true });
    await upnpRouter(gateway);
    const mapped = await run(gateway).state(isMapped);
    assert.equal(mapped.state === 'mapped' && mapped.protocol, 'upnp');
  });

  story('garbage is counted in the log when nothing else answers', async () => {
    const gateway = loopbackAddress();
    await pmpRouter(gateway, { pcp: true, natPmp: true, garbage: true });
    const mapper = run(gateway, { protocols: ['pcp', 'nat-pmp'] });
    const unmapped = await mapper.state(isUnmapped);
    assert.equal(describePortMapping(unmapped), 'not mapped: no router answered PCP or NAT-PMP');
    assert.ok(mapper.logs.some((line) => /event=portmap-unmapped .*3 unusable datagrams dropped/.test(line)));
  });

  story(
    'SSDP answers from any address but the gateway are ignored, and their URL never fetched',
    async () => {
      const gateway = loopbackAddress();
      const impostor = loopbackAddress();
      let fetched = false;
      const trap = createServer((_req, res) => {
        fetched = true;
        res.end();
      });
      await new Promise<void>((resolve) => trap.listen(0, impostor, resolve));
      cleanups.push(() => trap.close());
      await upnpRouter(gateway, { answerFrom: impostor });
      const unmapped = await run(gateway, { protocols: ['upnp'] }).state(isUnmapped);
      assert.equal(describePortMapping(unmapped), 'not mapped: no router answered UPnP');
      assert.equal(fetched, false);
    },
  );

  story('a control URL that points off the gateway is refused, and nothing is sent there', async () => {
    const gateway = loopbackAddress();
    const elsewhere = loopbackAddress();
    let called = false;
    const trap = createServer((_req, res) => {
      called = true;
      res.end();
    });
    await new Promise<void>((resolve) => trap.listen(0, elsewhere, resolve));
    cleanups.push(() => trap.close());
    const trapPort = (trap.address() as { port: number }).port;
    const description = () =>
      '<service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>' +
      `<controlURL>http://${elsewhere}:${trapPort}/ctl</controlURL></service>`;
    await upnpRouter(gateway, { description });
    const unmapped = await run(gateway, { protocols: ['upnp'] }).state(isUnmapped);
    assert.match(describePortMapping(unmapped), /is not on the gateway/);
    assert.equal(called, false);
  });

  story('an oversized description is cut off and refused', async () => {
    const gateway = loopbackAddress();
    await upnpRouter(gateway, { description: () => '<x>'.repeat(100_000) });
    const unmapped = await run(gateway, { protocols: ['upnp'] }).state(isUnmapped);
    assert.match(describePortMapping(unmapped), /sent more than 131072 bytes/);
  });

  story('without a default gateway there is nothing to ask, and status says which is missing', async () => {
    const none = await run({}).state(isUnmapped);
    assert.equal(describePortMapping(none), 'not mapped: no default gateway');
    const v6 = await run({ ipv6: { ip: 'fe80::1', interfaceName: 'eth0' } }).state(isUnmapped);
    assert.match(describePortMapping(v6), /no IPv4 default gateway/);
  });

  story('start refuses a second start and a port that is not one', async () => {
    const mapper = createPortMapper({ findGateways: async () => ({}) });
    assert.equal(mapper.start(0, () => undefined).ok, false);
    assert.ok(mapper.start(5582, () => undefined).ok);
    const again = mapper.start(5583, () => undefined);
    assert.equal(!again.ok && again.error.kind, 'BadState');
    await mapper.stop();
    assert.deepEqual(mapper.state(), { state: 'off' });
  });
});
