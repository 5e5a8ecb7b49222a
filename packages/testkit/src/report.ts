/** The drain-test JSON report, as lvs-verify declares it: tests read `--json` output with this type, never a copy of it. */
export type { CheckResult, DrainReport, Failure, ServerReport } from '@lvs-drain-kit/verify';
