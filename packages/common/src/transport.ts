/**
 * Runs a command somewhere: on this host, over ssh, or inside a lab's VM.
 * Drivers speak only this, so the same ipvsadm driver works everywhere.
 * `argv` is an argument array, never a shell string.
 */

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunOptions {
  timeoutMs?: number;
  input?: string;
}

export interface CommandTransport {
  /** For reports and error messages, e.g. "local", "ssh root@lb1", "lab vm (serial)". */
  readonly description: string;
  run(argv: readonly string[], options?: RunOptions): Promise<CommandResult>;
}
