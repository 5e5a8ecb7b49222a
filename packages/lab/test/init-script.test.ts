import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { initScript, READY_BANNER } from '../src/init-script.js';

const run = promisify(execFile);

describe('director /init', () => {
  it('is valid sh, loads the modules in the given order and opens the command port before the banner', async () => {
    const text = initScript({ modules: ['virtio_ring', 'virtio', 'ip_vs'] });
    await expect(run('/bin/sh', ['-n', '-c', text])).resolves.toBeDefined();
    expect(text).toContain('for m in virtio_ring virtio ip_vs; do');
    expect(text.indexOf('exec 3<>/dev/ttyS1')).toBeLessThan(text.indexOf(READY_BANNER));
    expect(text).toContain('#payload}" = "$len" ]');
  });
});
