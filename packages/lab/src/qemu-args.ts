/** The qemu command line of the director VM (pure). */

export interface QemuArgsOptions {
  kernel: string;
  initrd: string;
  consoleLog: string;
  ctlSock: string;
  pidFile: string;
  tap: string;
  mac: string;
  /** Director address with prefix, e.g. 198.18.0.2/24. */
  dip: string;
  vip: string;
  memoryMb?: number;
  /** kvm when /dev/kvm is usable, else tcg (software; boots in a few seconds too). */
  accel: 'kvm' | 'tcg';
}

export function qemuArgs(o: QemuArgsOptions): string[] {
  return [
    'qemu-system-x86_64',
    '-machine',
    'pc',
    ...(o.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,tb-size=64', '-cpu', 'max']),
    '-smp',
    '1',
    '-m',
    String(o.memoryMb ?? 128),
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-vga',
    'none',
    '-no-reboot',
    '-kernel',
    o.kernel,
    '-initrd',
    o.initrd,
    '-append',
    `console=ttyS0 panic=-1 quiet loglevel=4 mitigations=off lvs_dip=${o.dip} lvs_vip=${o.vip}`,
    '-chardev',
    `file,id=con,path=${o.consoleLog}`,
    '-serial',
    'chardev:con',
    '-chardev',
    `socket,id=ctl,path=${o.ctlSock},server=on,wait=off`,
    '-serial',
    'chardev:ctl',
    '-netdev',
    `tap,id=n0,ifname=${o.tap},script=no,downscript=no`,
    '-device',
    `virtio-net-pci,netdev=n0,mac=${o.mac}`,
    '-pidfile',
    o.pidFile,
    '-daemonize',
  ];
}
