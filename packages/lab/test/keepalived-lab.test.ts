import { locateRealServer, locateTrackFileDrain, parseKeepalivedConf } from '@lvs-drain-kit/drivers';
import { describe, expect, it } from 'vitest';
import { KEEPALIVED_CONF, keepalivedConfig, trackFileName, trackFilePath } from '../src/keepalived-config.js';
import { describeKeepalived, parseCheckData, writtenWeights } from '../src/keepalived-status.js';
import { planLab } from '../src/plan.js';

const plan = planLab('keepalived', 'ab12');

describe("the keepalived lab's keepalived.conf", () => {
  const text = keepalivedConfig({ id: plan.id, vip: plan.vip, reals: plan.reals });

  it('owns the VIP with wrr in DR, a TCP_CHECK and a FILE_CHECK per real server, inhibit_on_failure', () => {
    expect(text).toContain('virtual_server 198.18.0.100 2100 {');
    expect(text).toMatch(/lb_algo wrr\n {4}lb_kind DR\n {4}protocol TCP/);
    expect(text.match(/TCP_CHECK \{/g)).toHaveLength(2);
    expect(text.match(/inhibit_on_failure/g)).toHaveLength(2);
    expect(text).not.toContain('MISC_CHECK');
  });

  it('is a file the keepalived driver drains, by weight and by each server’s track file', () => {
    const conf = parseKeepalivedConf(text);
    for (const r of plan.reals) {
      const located = locateRealServer(conf, plan.vip, r, '/etc/keepalived/keepalived.conf');
      expect(located.value).toBe(1);
      expect(locateTrackFileDrain(conf, located, trackFileName(r.name), 'keepalived.conf')).toEqual({
        path: trackFilePath(r.name),
        multiplier: 0,
      });
    }
  });

  it("with the lab's HTTP port, a second virtual server for nginx on the same real servers, drained by weight", () => {
    const withHttp = keepalivedConfig({ id: plan.id, vip: plan.vip, reals: plan.reals, httpPort: plan.httpPort! });
    expect(withHttp.startsWith(text)).toBe(true);
    expect(withHttp).toContain(`virtual_server 198.18.0.100 ${plan.httpPort} {`);
    expect(withHttp.match(/TCP_CHECK \{/g)).toHaveLength(4);
    const conf = parseKeepalivedConf(withHttp);
    for (const r of plan.reals) {
      const vip = { ...plan.vip, port: plan.httpPort! };
      expect(locateRealServer(conf, vip, { host: r.host, port: plan.httpPort! }, KEEPALIVED_CONF).value).toBe(1);
      // Each track file still drains its line server alone, which the driver requires.
      const line = locateRealServer(conf, plan.vip, r, KEEPALIVED_CONF);
      expect(locateTrackFileDrain(conf, line, trackFileName(r.name), 'keepalived.conf').path).toBe(
        trackFilePath(r.name),
      );
    }
  });
});

/** keepalived 2.2.7's SIGUSR1 dump (keepalived_check.data) as the lab VM wrote it, cut to the parts read. */
const DUMP = `------< LVS Topology >------
 ------< Virtual server >------
 VS VIP = 198.18.0.100, VPORT = 2100
   lvs_sched = wrr
   ------< Real server >------
   RIP = 198.18.0.11, RPORT = 2100, WEIGHT = 1 EFF WEIGHT = 0
   forwarding method = DR
   Inhibit on failure is ON
   initial weight = 1
   effective weight = 0
   previous effective_weight = 1
   alive = 0
   num failed checkers = 1
   Tracked Files
     drain_rs1, weight 0
   ------< Real server >------
   RIP = 198.18.0.12, RPORT = 2100, WEIGHT = 1 EFF WEIGHT = 1
   initial weight = 1
   effective weight = 1
   alive = 1
------< Health checkers >------
 [198.18.0.100]:tcp:2100 -> [198.18.0.11]:tcp:2100
   Enabled = yes
   Up = yes
   Current weight = 0
   Keepalive method = TCP_CHECK
 [198.18.0.100]:tcp:2100 -> [198.18.0.12]:tcp:2100
   Up = yes
   Keepalive method = TCP_CHECK
 [198.18.0.100]:tcp:2100 -> [198.18.0.11]:tcp:2100
   Up = no
   Keepalive method = FILE_CHECK
     Tracked file = drain_rs1
 [198.18.0.100]:tcp:2100 -> [198.18.0.12]:tcp:2100
   Up = yes
   Keepalive method = FILE_CHECK
     Tracked file = drain_rs2
------< Checker track files >------
 Track file = drain_rs1
   File = /etc/keepalived/drain-rs1
   Status = 1
 Track file = drain_rs2
   File = /etc/keepalived/drain-rs2
   Status = 0
`;

describe('lab status of the keepalived lab', () => {
  it("reads keepalived's view of each real server from its data dump", () => {
    expect(parseCheckData(DUMP)).toEqual([
      {
        rip: '198.18.0.11:2100',
        initial: 1,
        effective: 0,
        alive: false,
        checkers: ['TCP_CHECK up', 'FILE_CHECK drain_rs1 down (file 1)'],
      },
      {
        rip: '198.18.0.12:2100',
        initial: 1,
        effective: 1,
        alive: true,
        checkers: ['TCP_CHECK up', 'FILE_CHECK drain_rs2 up (file 0)'],
      },
    ]);
  });

  it('shows the weight in the file, keepalived’s, IPVS’s and the latest log lines', () => {
    const grep =
      '21:    real_server 198.18.0.11 2100 {\n22:        weight 0\n33:    real_server 198.18.0.12 2100 {\n34:        weight 1\n';
    expect(writtenWeights(`8:    weight 0\n${grep}`)).toEqual(
      new Map([
        ['198.18.0.11:2100', 0],
        ['198.18.0.12:2100', 1],
      ]),
    );
    const ipvs = 'TCP  198.18.0.100:2100 wrr\n  -> 198.18.0.11:2100             Route   0      3          0\n';
    const text = `@@ldk pid\n125\n@@ldk weights\n${grep}@@ldk data\n${DUMP}@@ldk ipvs\n${ipvs}@@ldk log\nWed Dec  2 01:15:23 2026: TCP_CHECK on service [198.18.0.11]:tcp:2100 failed.\n`;
    expect(describeKeepalived(text, plan).split('\n')).toEqual([
      'keepalived: pid 125, /etc/keepalived/keepalived.conf',
      "  rs1 198.18.0.11:2100: weight in the file 0; keepalived's 0 (loaded 1); down; TCP_CHECK up, FILE_CHECK drain_rs1 down (file 1)",
      "  rs2 198.18.0.12:2100: weight in the file 1; keepalived's 1 (loaded 1); alive; TCP_CHECK up, FILE_CHECK drain_rs2 up (file 0)",
      'IPVS (ipvsadm -Ln):',
      '  TCP  198.18.0.100:2100 wrr',
      '    -> 198.18.0.11:2100             Route   0      3          0',
      'keepalived log (latest):',
      '  Wed Dec  2 01:15:23 2026: TCP_CHECK on service [198.18.0.11]:tcp:2100 failed.',
    ]);
  });
});
