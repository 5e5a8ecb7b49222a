import { describe, expect, it } from 'vitest';
import { commandOf, DR_SYSCTLS, type HostView, planDown, planUp, realServerStatus } from '../src/realserver/plan.js';

const VIP = '198.18.0.100';
const fresh = (): HostView => ({
  sysctls: {
    'net.ipv4.conf.all.arp_ignore': '0',
    'net.ipv4.conf.all.arp_announce': '1', // not the kernel default: down must put back 1, not assume 0
    'net.ipv4.conf.lo.arp_ignore': '0',
    'net.ipv4.conf.lo.arp_announce': '0',
  },
  loAddresses: ['127.0.0.1/8'],
});
const afterUp = (host: HostView, vips: string[]): HostView => ({
  sysctls: { ...host.sysctls, ...DR_SYSCTLS },
  loAddresses: [...host.loAddresses, ...vips.map((v) => `${v}/32`)],
});
const commands = (steps: Parameters<typeof commandOf>[0][]) => steps.map((s) => commandOf(s).join(' '));

describe('realserver plan', () => {
  it('up: the VIP on lo and the four ARP sysctls, remembering what was there', () => {
    const { steps, record } = planUp([VIP], fresh(), undefined);
    expect(commands(steps)).toEqual([
      'sysctl -w net.ipv4.conf.all.arp_ignore=1',
      'sysctl -w net.ipv4.conf.all.arp_announce=2',
      'sysctl -w net.ipv4.conf.lo.arp_ignore=1',
      'sysctl -w net.ipv4.conf.lo.arp_announce=2',
      `ip addr add ${VIP}/32 dev lo`,
    ]);
    expect(record).toEqual({ version: 1, vips: [VIP], addedVips: [VIP], sysctlsBefore: fresh().sysctls });
  });

  it('up twice: nothing to do, and the original values stay remembered', () => {
    const first = planUp([VIP], fresh(), undefined).record;
    const again = planUp([VIP], afterUp(fresh(), [VIP]), first);
    expect(again.steps).toEqual([]);
    expect(again.record).toEqual(first);
  });

  it('down: removes the VIP and puts back the values found before, not the defaults', () => {
    const record = planUp([VIP], fresh(), undefined).record;
    const down = planDown([], afterUp(fresh(), [VIP]), record);
    expect(commands(down.steps)).toEqual([
      `ip addr del ${VIP}/32 dev lo`,
      'sysctl -w net.ipv4.conf.all.arp_ignore=0',
      'sysctl -w net.ipv4.conf.all.arp_announce=1',
      'sysctl -w net.ipv4.conf.lo.arp_ignore=0',
      'sysctl -w net.ipv4.conf.lo.arp_announce=0',
    ]);
    expect(down.record).toBeUndefined();
  });

  it('down leaves alone a value someone changed since up, and a VIP that was there before', () => {
    const host = fresh();
    host.loAddresses.push(`${VIP}/32`); // configured by someone else
    const record = planUp([VIP, '198.18.0.101'], host, undefined).record;
    expect(record.addedVips).toEqual(['198.18.0.101']);
    const now = afterUp(host, ['198.18.0.101']);
    now.sysctls['net.ipv4.conf.all.arp_ignore'] = '2'; // an operator's change after up
    const down = planDown([], now, record);
    expect(commands(down.steps)).toEqual([
      'ip addr del 198.18.0.101/32 dev lo',
      'sysctl -w net.ipv4.conf.all.arp_announce=1',
      'sysctl -w net.ipv4.conf.lo.arp_ignore=0',
      'sysctl -w net.ipv4.conf.lo.arp_announce=0',
    ]);
    expect(down.notes).toEqual([
      `${VIP}: was on lo before realserver up, left there`,
      'net.ipv4.conf.all.arp_ignore is 2 (changed since realserver up set 1): left alone, was 0',
    ]);
  });

  it('down --vip for one of two VIPs keeps the ARP settings for the other', () => {
    const record = planUp([VIP, '198.18.0.101'], fresh(), undefined).record;
    const down = planDown([VIP], afterUp(fresh(), [VIP, '198.18.0.101']), record);
    expect(commands(down.steps)).toEqual([`ip addr del ${VIP}/32 dev lo`]);
    expect(down.record).toMatchObject({ vips: ['198.18.0.101'], addedVips: ['198.18.0.101'] });
  });

  it('status: up only when every VIP is on lo and every sysctl is as up sets it', () => {
    expect(realServerStatus([VIP], fresh()).up).toBe(false);
    expect(realServerStatus([VIP], afterUp(fresh(), [VIP])).up).toBe(true);
    const half = afterUp(fresh(), []);
    expect(realServerStatus([VIP], half)).toMatchObject({ up: false, vips: [{ vip: VIP, onLo: false }] });
  });
});
