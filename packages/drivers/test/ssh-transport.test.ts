import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriverError } from '../src/errors.js';
import { createSshTransport } from '../src/transports/ssh.js';

// An `ssh` first on PATH that behaves like the real one on the far side: everything after the
// destination is joined into one string and handed to a shell. So the quoting is tested end to end.
let dir: string;
let savedPath: string | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lvs-verify-ssh-'));
  await writeFile(
    join(dir, 'ssh'),
    `#!/bin/sh
while [ "$1" != "--" ]; do shift; done
shift
case "$1" in *unreachable*) echo "ssh: connect to host $1 port 22: Connection refused" >&2; exit 255;; esac
shift
exec /bin/sh -c "$*"
`,
  );
  await chmod(join(dir, 'ssh'), 0o755);
  savedPath = process.env.PATH;
  process.env.PATH = `${dir}:${savedPath}`;
});
afterAll(async () => {
  process.env.PATH = savedPath;
  await rm(dir, { recursive: true, force: true });
});

describe('ssh transport through a shell on the far side', () => {
  it('keeps every argument one argument, however it is spelled', async () => {
    const t = createSshTransport('ssh://root@lb1');
    const r = await t.run(['printf', '%s\\n', 'a b', "it's", '$(echo no)', '*']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe("a b\nit's\n$(echo no)\n*\n");
  });

  it('passes the remote exit code through; 255 (ssh itself failed) is a DriverError', async () => {
    const t = createSshTransport('ssh://root@lb1:2222');
    expect(t.description).toBe('ssh -p 2222 root@lb1');
    expect((await t.run(['sh', '-c', 'echo oops >&2; exit 3'])).exitCode).toBe(3);
    await expect(createSshTransport('ssh://root@unreachable').run(['true'])).rejects.toThrow(DriverError);
  });
});
