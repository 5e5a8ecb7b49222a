/** An nftables kernel load balancer in the director namespace: DNAT via a numgen (or jhash) map, masquerade. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { directorRuleset } from '../nft-ruleset.js';
import { inNetns, run } from '../run-command.js';
import { sysctl } from '../topology.js';
import type { DirectorEngine } from './engine.js';

export const NFT_TABLE = 'ldk_lb';
export const NFT_CHAIN = 'lb';
export const NFT_MAP = 'backends';

export const nftEngine: DirectorEngine = {
  description: 'an nftables director: DNAT by a numgen map (or jhash ip saddr), conntrack, masquerade (root)',
  needsRoot: true,
  network: 'namespaces',
  options: [],
  tools: [{ name: 'nft', hint: 'apt-get install nftables' }],
  directRouting: false,
  needsTap: false,

  async start(ctx) {
    const { plan, stateDir } = ctx;
    const netns = plan.directorNetns!;
    await sysctl(netns, [
      'net.ipv4.ip_forward=1',
      'net.ipv4.conf.all.send_redirects=0',
      'net.ipv4.conf.eth0.send_redirects=0',
    ]);
    const ruleset = directorRuleset(
      {
        table: NFT_TABLE,
        chain: NFT_CHAIN,
        map: NFT_MAP,
        vip: plan.vip.host,
        port: plan.vip.port,
        scheduler: plan.scheduler,
        // The HTTP service goes through the same map: a drain drains both.
        ...(plan.httpPort !== undefined ? { morePorts: [plan.httpPort] } : {}),
      },
      plan.reals.map((r) => ({ host: r.host, weight: 1 })),
    );
    await ctx.recordFile('nft.rules');
    await writeFile(join(stateDir, 'nft.rules'), ruleset);
    await run(inNetns(netns, ['nft', '-f', join(stateDir, 'nft.rules')]));
    return {
      driver: { kind: 'nft', netns, family: 'ip', table: NFT_TABLE, chain: NFT_CHAIN, map: NFT_MAP },
      details: { directorNetns: netns, forwarding: 'dnat + masquerade (nftables)' },
    };
  },

  async describe({ plan }) {
    const r = await run(inNetns(plan.directorNetns!, ['nft', 'list', 'table', 'ip', NFT_TABLE]), { allowFail: true });
    return (r.exitCode === 0 ? r.stdout : `nft: ${r.stderr}`).trimEnd();
  },

  exampleCommand: ['nft', 'list', 'ruleset'],
  directorExec: ({ plan }) => ({ argvPrefix: inNetns(plan.directorNetns!, []) }),
};
