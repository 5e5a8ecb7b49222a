/** Time since the drain as the report writes it: `+40`, or `-6` for what happened during the drain command. */
export const signed = (ms: number): string => (ms >= 0 ? `+${ms}` : String(ms));
