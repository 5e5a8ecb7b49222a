import { describe, expect, it } from 'vitest';
import { KEEPALIVED_CONF } from '../src/keepalived-config.js';
import { keepalivedPollScript, keepalivedProgress, keepalivedStartScript } from '../src/keepalived-start.js';
import { KEEPALIVED_LOG } from '../src/keepalived-status.js';

const vip = { host: '198.18.0.100', port: 2100 };
const services = [
  {
    vip,
    reals: [
      { host: '198.18.0.11', port: 2100 },
      { host: '198.18.0.12', port: 2100 },
    ],
  },
];
const HEAD = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  198.18.0.100:2100 wrr
`;
/** keepalived 2.2.7's first log line in the lab VM. */
const LOG = 'Wed Dec  2 04:59:17 2026: Starting Keepalived v2.2.7 (01/16,2022)\n';
const poll = (listing: string, log = LOG) => `${listing}@@ldk-log\n${log}`;

describe('starting keepalived in the lab VM', () => {
  it('writes the file from stdin and starts keepalived once, in the background, as Debian runs it', () => {
    const script = keepalivedStartScript();
    expect(script).toContain(`cat > ${KEEPALIVED_CONF} && `);
    expect(script.match(/keepalived --/g)).toHaveLength(1);
    expect(script).toContain(`--dont-fork`);
    expect(script).toMatch(/>\/var\/log\/keepalived\.log 2>&1 & }$/);
  });

  it('polls IPVS reads the version from the log (no second keepalived)', () => {
    const script = keepalivedPollScript();
    expect(script).toMatch(/^ipvsadm -Ln /);
    expect(script).toContain(`head -n 1 ${KEEPALIVED_LOG}`);
    expect(script).not.toMatch(/keepalived --version/);
  });
});

describe('when the keepalived lab is ready', () => {
  it('is ready once both real servers are in IPVS with a weight, and names keepalived’s version', () => {
    const text = poll(`${HEAD}  -> 198.18.0.11:2100             Route   1      0          0
  -> 198.18.0.12:2100             Route   1      0          0
`);
    expect(keepalivedProgress(text, services)).toMatchObject({
      ready: true,
      waiting: [],
      version: 'Keepalived v2.2.7 (01/16,2022)',
    });
  });

  it('waits while a real server is missing, or there at weight 0 (its check failed)', () => {
    const one = poll(`${HEAD}  -> 198.18.0.11:2100             Route   1      0          0\n`);
    expect(keepalivedProgress(one, services)).toMatchObject({
      ready: false,
      waiting: ['198.18.0.100:2100 -> 198.18.0.12:2100'],
    });
    const inhibited = poll(`${HEAD}  -> 198.18.0.11:2100             Route   0      0          0
  -> 198.18.0.12:2100             Route   1      0          0
`);
    expect(keepalivedProgress(inhibited, services)).toMatchObject({
      ready: false,
      waiting: ['198.18.0.100:2100 -> 198.18.0.11:2100'],
    });
  });

  it('waits, without failing, before keepalived made the service or wrote its log', () => {
    const none = keepalivedProgress(poll('Memory allocation problem\n', ''), services);
    expect(none).toMatchObject({
      ready: false,
      waiting: ['198.18.0.100:2100 -> 198.18.0.11:2100', '198.18.0.100:2100 -> 198.18.0.12:2100'],
    });
    expect(none.version).toBeUndefined();
    expect(none.listing).toBe('Memory allocation problem\n');
  });

  it('takes a real server only at its own port', () => {
    const other = poll(`IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  198.18.0.100:2101 wrr
  -> 198.18.0.11:2101             Route   1      0          0
  -> 198.18.0.12:2101             Route   1      0          0
`);
    expect(keepalivedProgress(other, services).ready).toBe(false);
  });

  it('waits for every service of the file: the HTTP one too', () => {
    const http = [
      ...services,
      {
        vip: { host: vip.host, port: 8080 },
        reals: [
          { host: '198.18.0.11', port: 8080 },
          { host: '198.18.0.12', port: 8080 },
        ],
      },
    ];
    const lineOnly = poll(`${HEAD}  -> 198.18.0.11:2100             Route   1      0          0
  -> 198.18.0.12:2100             Route   1      0          0
`);
    expect(keepalivedProgress(lineOnly, http)).toMatchObject({
      ready: false,
      waiting: ['198.18.0.100:8080 -> 198.18.0.11:8080', '198.18.0.100:8080 -> 198.18.0.12:8080'],
    });
    const both = poll(`${HEAD}  -> 198.18.0.11:2100             Route   1      0          0
  -> 198.18.0.12:2100             Route   1      0          0
TCP  198.18.0.100:8080 wrr
  -> 198.18.0.11:8080             Route   1      0          0
  -> 198.18.0.12:8080             Route   1      0          0
`);
    expect(keepalivedProgress(both, http).ready).toBe(true);
  });
});
