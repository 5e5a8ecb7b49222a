import { ACK_MARK, BEGIN_MARK, END_MARK, STDERR_MARK } from '@lvs-drain-kit/drivers';

export const READY_BANNER = 'LDK-DIRECTOR-READY';

export interface InitScriptOptions {
  /** Module names, in load order; files are /lib/modules/<name>.ko in the initramfs. */
  modules: readonly string[];
}

/**
 * The director VM's /init (busybox sh). Addresses come from the kernel command line
 * (`lvs_dip=198.18.0.2/24 lvs_vip=198.18.0.100`, underscores because keys with dots never reach init),
 * so one cached initramfs serves every lab. It serves the serial command channel on ttyS1 forever:
 * PID 1 must never exit.
 */
export function initScript({ modules }: InitScriptOptions): string {
  return `#!/bin/busybox sh
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp /run
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in ${modules.join(' ')}; do
  insmod /lib/modules/$m.ko || echo "ldk: insmod $m failed"
done
ip link set lo up
ip link set eth0 up
[ -n "$lvs_dip" ] && ip addr add "$lvs_dip" dev eth0
[ -n "$lvs_vip" ] && ip addr add "$lvs_vip"/32 dev eth0
# Open the command port for good before the banner: bytes sent to a closed tty are lost.
exec 3<>/dev/ttyS1
stty raw -echo <&3
echo "${READY_BANNER} $(uname -r)"
last=""
while true; do
  read -r nonce len payload <&3 || { sleep 1; continue; }
  # A request that lost bytes on the way is ignored: the host sends it again when no ACK comes.
  [ -n "$payload" ] && [ "\${#payload}" = "$len" ] || continue
  echo "${ACK_MARK} $nonce" >&3
  # A repeated request (its ACK was lost) gets the stored reply; it never runs twice.
  if [ "$nonce" != "$last" ]; then
    echo "$payload" | base64 -d > /tmp/req.sh 2>/dev/null
    timeout -s KILL 60 sh /tmp/req.sh > /tmp/out 2> /tmp/err
    rc=$?
    { echo "${BEGIN_MARK} $nonce"; base64 /tmp/out; echo "${STDERR_MARK} $nonce"; base64 /tmp/err; echo "${END_MARK} $nonce $rc"; } > /tmp/reply
    last=$nonce
  fi
  cat /tmp/reply >&3
done
`;
}
