import { describe, expect, it } from 'vitest';
import { modinfoSection, parseModinfo } from '../src/modinfo.js';
import { ModuleOrderError, moduleLoadOrder } from '../src/module-order.js';
import { elfFile } from './elf-fixture.js';

const elf = (sections: Record<string, Uint8Array>) =>
  elfFile(Object.entries(sections).map(([name, body]) => ({ name, body })));

const modinfo = (...fields: string[]) => Buffer.from(`${fields.join('\0')}\0`);

describe('modinfo', () => {
  it('finds .modinfo among other sections and reads depends, softdep pre and name', () => {
    const ko = elf({
      '.text': Buffer.from([0x90, 0x90]),
      '.modinfo': modinfo(
        'license=GPL',
        'softdep=pre: crc32c',
        'depends=nf_conntrack,nf_defrag_ipv6,libcrc32c',
        'name=ip_vs',
        'vermagic=6.1.0-56-cloud-amd64 SMP mod_unload modversions',
      ),
    });
    expect(parseModinfo(modinfoSection(ko), 'fallback')).toEqual({
      name: 'ip_vs',
      depends: ['nf_conntrack', 'nf_defrag_ipv6', 'libcrc32c'],
      softPre: ['crc32c'],
    });
  });

  it('handles an empty depends= and softdep with pre and post', () => {
    const info = parseModinfo(modinfo('depends=', 'softdep=pre: crc32c-generic post: foo'), 'virtio-ring');
    expect(info).toEqual({ name: 'virtio_ring', depends: [], softPre: ['crc32c_generic'] });
  });

  it('rejects what is not a 64-bit ELF object with a .modinfo section', () => {
    expect(() => modinfoSection(Buffer.from('not an elf file at all, really not, no, not at all, nope......'))).toThrow(
      /not an ELF/,
    );
    expect(() => modinfoSection(elf({ '.text': Buffer.from([1]) }))).toThrow(/no .modinfo/);
  });
});

describe('moduleLoadOrder', () => {
  const m = (name: string, depends: string[] = [], softPre: string[] = []) =>
    [name, { name, depends, softPre }] as const;
  // The dependency shape of the Debian 6.1 cloud kernel's IPVS and virtio-net modules.
  const available = new Map([
    m('ip_vs_wrr', ['ip_vs']),
    m('ip_vs', ['nf_conntrack', 'nf_defrag_ipv6', 'libcrc32c']),
    m('nf_conntrack', ['nf_defrag_ipv4', 'nf_defrag_ipv6', 'libcrc32c']),
    m('libcrc32c', [], ['crc32c']),
    m('nf_defrag_ipv4'),
    m('nf_defrag_ipv6'),
    m('virtio_net', ['net_failover', 'virtio', 'virtio_ring']),
    m('net_failover', ['failover']),
    m('failover'),
    m('virtio', ['virtio_ring']),
    m('virtio_ring'),
  ]);

  it('puts every dependency before its dependants, each once', () => {
    const order = moduleLoadOrder(['virtio_net', 'ip_vs', 'ip_vs_wrr'], available);
    expect(new Set(order).size).toBe(order.length);
    for (const [name, info] of available) {
      if (!order.includes(name)) continue;
      for (const dep of info.depends)
        expect(order.indexOf(dep), `${dep} before ${name}`).toBeLessThan(order.indexOf(name));
    }
    expect(order.at(-1)).toBe('ip_vs_wrr');
    expect(order).toHaveLength(11);
  });

  it('loads an available soft pre-dependency first and skips a missing one (built in)', () => {
    expect(moduleLoadOrder(['libcrc32c'], available)).toEqual(['libcrc32c']);
    const generic = new Map([...available, m('crc32c', [])]);
    expect(moduleLoadOrder(['libcrc32c'], generic)).toEqual(['crc32c', 'libcrc32c']);
  });

  it('names a missing hard dependency and a cycle', () => {
    expect(() => moduleLoadOrder(['x'], new Map([m('x', ['y'])]))).toThrow(/module y not found \(needed by x\)/);
    expect(() => moduleLoadOrder(['a'], new Map([m('a', ['b']), m('b', ['a'])]))).toThrow(ModuleOrderError);
  });
});
