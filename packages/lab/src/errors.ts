/** Base class of every error the lab throws; `code` is stable for callers that map errors to exit codes. */
export class LabError extends Error {
  readonly code: string;
  constructor(message: string, code = 'LAB_ERROR', options?: ErrorOptions) {
    super(message, options);
    this.name = 'LabError';
    this.code = code;
  }
}

/** Real engines need network namespaces, bridges and nftables: only root can make them. */
export class LabNeedsRootError extends LabError {
  constructor(engine: string) {
    super(
      `lab engine "${engine}" needs root (network namespaces): run as root, or use the builtin lab (--engine builtin; drain-test --lab)`,
      'LAB_NEEDS_ROOT',
    );
    this.name = 'LabNeedsRootError';
  }
}

/** A tool the engine needs (qemu, nft, haproxy, apt-get...) is not installed. */
export class LabToolMissingError extends LabError {
  constructor(tool: string, hint: string) {
    super(`${tool} not found: ${hint}`, 'LAB_TOOL_MISSING');
    this.name = 'LabToolMissingError';
  }
}

/** A command the lab ran to build its topology failed. */
export class LabCommandError extends LabError {
  readonly argv: readonly string[];
  readonly stderr: string;
  constructor(argv: readonly string[], exitCode: number | undefined, stderr: string) {
    super(`lab command failed (exit ${exitCode ?? '?'}): ${argv.join(' ')}: ${stderr.trim()}`, 'LAB_COMMAND_FAILED');
    this.name = 'LabCommandError';
    this.argv = argv;
    this.stderr = stderr;
  }
}

/** A lab option the engine does not have, or a value it does not take: the caller's mistake (a usage error). */
export class LabOptionError extends LabError {
  constructor(message: string) {
    super(message, 'LAB_OPTION');
    this.name = 'LabOptionError';
  }
}
