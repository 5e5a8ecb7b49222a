import picocolors from 'picocolors';

export type Colors = ReturnType<typeof picocolors.createColors>;

/**
 * Colours only for a terminal, and never when NO_COLOR is set (any non-empty
 * value, per no-color.org) or `--no-color` was given.
 */
export function wantColor(options: { isTTY: boolean | undefined; flag?: boolean; env?: NodeJS.ProcessEnv }): boolean {
  const env = options.env ?? process.env;
  if (options.flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return options.isTTY === true;
}

export function makeColors(enabled: boolean): Colors {
  return picocolors.createColors(enabled);
}
