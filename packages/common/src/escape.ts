/**
 * Makes untrusted text safe for a terminal: C0/C1 control characters and DEL
 * become visible escapes, so a peer cannot move an operator's cursor or change colours.
 */
export function escapeControl(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    switch (c) {
      case '\t':
        return '\\t';
      case '\r':
        return '\\r';
      case '\n':
        return '\\n';
      default:
        return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
    }
  });
}
