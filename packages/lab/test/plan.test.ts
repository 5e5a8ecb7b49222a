import { ipv4RangeHosts, parseIpv4Range } from '@lvs-drain-kit/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { packageDirName, parseAptCacheShow, parseKernelDepends } from '../src/debian-packages.js';
import { DIRECTOR_MODULES } from '../src/director-image.js';
import { LabNeedsRootError, LabOptionError } from '../src/errors.js';
import { assertLabCanRun, labExecArgv } from '../src/lab.js';
import { CLIENT_SOURCES, LAB_SCHEDULERS, planLab, planNamespaces } from '../src/plan.js';
import { qemuArgs } from '../src/qemu-args.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('lab plan', () => {
  it('keeps every address in 198.18.0.0/15 and every namespace under the lab prefix', () => {
    for (const engine of ['ipvs', 'keepalived', 'nft', 'haproxy'] as const) {
      const plan = planLab(engine, 'ab12');
      const addresses = [plan.clientHost, plan.directorHost, plan.vip.host, ...plan.reals.map((r) => r.host)];
      for (const a of addresses) expect(a).toMatch(/^198\.1[89]\.\d+\.\d+$/);
      for (const ns of planNamespaces(plan)) expect(ns).toMatch(/^ldk-ab12-/);
      expect(plan.reals.map((r) => r.name)).toEqual(['rs1', 'rs2']);
    }
  });

  it('ipvs, keepalived: a separate VIP and no director namespace (the director is the VM); nft/haproxy: the director is the VIP', () => {
    for (const engine of ['ipvs', 'keepalived'] as const) {
      const vm = planLab(engine, 'x');
      expect(vm.directorNetns).toBeUndefined();
      expect(vm.vip.host).not.toBe(vm.directorHost);
    }
    const nft = planLab('nft', 'x', { port: 8080 });
    expect(nft.vip).toEqual({ host: nft.directorHost, port: 8080 });
    expect(nft.reals.every((r) => r.port === 8080)).toBe(true);
  });

  it('plans the scheduler asked for, and refuses one the engine has not', () => {
    expect(planLab('ipvs', 'x').scheduler).toBe('wrr');
    expect(planLab('ipvs', 'x', { scheduler: 'sh' }).scheduler).toBe('sh');
    expect(planLab('haproxy', 'x').scheduler).toBe('roundrobin');
    expect(planLab('haproxy', 'x', { scheduler: 'source' }).scheduler).toBe('source');
    expect(planLab('nft', 'x', { scheduler: 'jhash' }).scheduler).toBe('jhash');
    expect(() => planLab('nft', 'x', { scheduler: 'sh' })).toThrow(LabOptionError);
    expect(() => planLab('builtin', 'x', { scheduler: 'mh' })).toThrow(
      'the builtin lab has no scheduler "mh": it has wrr, rr, sh',
    );
  });

  it('gives clients more addresses to connect from, on the lab wire (namespaces) or loopback (builtin)', () => {
    expect(planLab('ipvs', 'x').clientSources).toBe(CLIENT_SOURCES.namespaces);
    expect(planLab('builtin', 'x').clientSources).toBe(CLIENT_SOURCES.loopback);
    const plan = planLab('ipvs', 'x');
    const hosts = ipv4RangeHosts(parseIpv4Range(plan.clientSources));
    // None of them is an address the lab already uses.
    const taken = [plan.clientHost, plan.directorHost, plan.vip.host, ...plan.reals.map((r) => r.host)];
    expect(hosts.filter((h) => taken.includes(h))).toEqual([]);
    expect(hosts.every((h) => h.startsWith('198.18.0.'))).toBe(true);
  });

  it('loads every IPVS scheduler the lab offers in the director VM (it has no modprobe)', () => {
    for (const s of LAB_SCHEDULERS.ipvs) expect(DIRECTOR_MODULES).toContain(`ip_vs_${s}`);
  });

  it('runs commands in the client namespace', () => {
    expect(labExecArgv({ clientNetns: 'ldk-ab12-client' }, ['curl', 'x'])).toEqual([
      'ip',
      'netns',
      'exec',
      'ldk-ab12-client',
      'curl',
      'x',
    ]);
  });

  it('refuses to start without root, pointing to the builtin lab', () => {
    vi.spyOn(process, 'getuid').mockReturnValue(1000);
    expect(() => assertLabCanRun('ipvs')).toThrow(LabNeedsRootError);
    expect(() => assertLabCanRun('nft')).toThrow(/builtin/);
  });
});

describe('debian packages', () => {
  it('reads versions from apt-cache show and the kernel image from apt-cache depends', () => {
    const show =
      'Package: ipvsadm\nVersion: 1:1.31-1+b1\nArchitecture: amd64\n\nPackage: ipvsadm\nVersion: 1:1.30-1\n\nPackage: libc6\nVersion: 2.36-9+deb12u14\n';
    expect(parseAptCacheShow(show)).toEqual([
      { name: 'ipvsadm', version: '1:1.31-1+b1' },
      { name: 'libc6', version: '2.36-9+deb12u14' },
    ]);
    expect(parseKernelDepends('linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-56-cloud-amd64\n')).toBe(
      'linux-image-6.1.0-56-cloud-amd64',
    );
    expect(packageDirName({ name: 'busybox-static', version: '1:1.35.0-4+deb12u1+b1' })).toBe(
      'busybox-static_1_1.35.0-4+deb12u1+b1',
    );
  });
});

describe('qemu command line', () => {
  it('boots the kernel with the addresses on its command line, two serial ports and a tap, daemonized', () => {
    const argv = qemuArgs({
      kernel: '/c/vmlinuz',
      initrd: '/c/initramfs.cpio',
      consoleLog: '/s/console.log',
      ctlSock: '/s/ctl.sock',
      pidFile: '/s/qemu.pid',
      tap: 'tap0',
      mac: '52:54:00:12:00:02',
      dip: '198.18.0.2/24',
      vip: '198.18.0.100',
      accel: 'tcg',
    });
    expect(argv[0]).toBe('qemu-system-x86_64');
    expect(argv[argv.indexOf('-append') + 1]).toMatch(
      /console=ttyS0 .*lvs_dip=198\.18\.0\.2\/24 lvs_vip=198\.18\.0\.100$/,
    );
    expect(argv.filter((a) => a === '-serial')).toHaveLength(2);
    expect(argv).toContain('socket,id=ctl,path=/s/ctl.sock,server=on,wait=off');
    expect(argv).toContain('tap,id=n0,ifname=tap0,script=no,downscript=no');
    expect(argv.at(-1)).toBe('-daemonize');
  });
});
