/**
 * Whether a running keepalived owns the virtual service the ipvsadm driver is about to change. On such a
 * director a weight set with ipvsadm is keepalived's to overwrite: the next time it edits that server (a
 * health-check transition, a reload, a restart) it writes its own weight back, in the middle of a drain.
 * The ipvsadm driver says so in preflight, naming the way keepalived expects to be told.
 */
import { type CommandTransport, formatHostPort } from '@lvs-drain-kit/common';
import type { ServiceRef } from '../types.js';
import { parseKeepalivedConf, virtualServersFor } from './keepalived-conf.js';
import { includedFiles, keepalivedProcesses, readBytes } from './keepalived-director.js';

/** One warning line when a keepalived on the director has (or may have) this service; else undefined. */
export async function keepalivedOwnerWarning(
  transport: CommandTransport,
  service: ServiceRef,
): Promise<string | undefined> {
  const processes = await keepalivedProcesses(transport);
  const parent = processes[0];
  if (!parent) return undefined;
  const vip = `TCP ${formatHostPort(service.vip)}`;
  const advice = (conf: string) =>
    `a weight set with ipvsadm is put back by keepalived the next time it changes that server (a health-check transition, a reload, a restart). Drain through keepalived: --driver keepalived${conf === '/etc/keepalived/keepalived.conf' ? '' : ` --keepalived-conf ${conf}`} (its weight in keepalived.conf and a reload), or its track_file`;
  let owns: boolean | undefined;
  try {
    const bytes = await readBytes(transport, parent.conf);
    if (bytes !== undefined) {
      const conf = parseKeepalivedConf(bytes);
      owns =
        virtualServersFor(conf, service.vip).length > 0 ||
        (await includedFiles(transport, { path: parent.conf, bytes, conf })).some(
          (f) => virtualServersFor(f.conf, service.vip).length > 0,
        );
    }
  } catch {
    owns = undefined;
  }
  if (owns === false) return undefined;
  return owns
    ? `keepalived (pid ${parent.pid}, ${parent.conf}) owns ${vip}: ${advice(parent.conf)}`
    : `keepalived runs on the director (pid ${parent.pid}) and its ${parent.conf} could not be read: if it owns ${vip}, ${advice(parent.conf)}`;
}
