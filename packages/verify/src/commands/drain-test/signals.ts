import { InterruptedError } from '../../errors.js';

/** SIGINT/SIGTERM abort the run, which then restores the weight and reports; a second signal is refused. */
export function abortOnSignals(err: (line: string) => void): AbortController {
  const controller = new AbortController();
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (controller.signal.aborted) {
      err(`lvs-verify: ${signal} again: still putting the weight back, please wait`);
      return;
    }
    err(`lvs-verify: ${signal}: stopping, restoring the drained server first`);
    controller.abort(new InterruptedError(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller;
}
