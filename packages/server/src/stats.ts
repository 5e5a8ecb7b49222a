/**
 * What the line service counts, as plain numbers: the hot path adds to fields, and /metrics reads them
 * when scraped (a prom-client call per line would cost more than the line itself at high rates).
 */

/** Why a connection ended: the `reason` label of rs_server_connections_closed_total. */
export const CLOSE_REASONS = {
  client_closed: 'client closed',
  client_shutdown: 'shutdown requested by client',
  client_reset: 'client reset the connection',
  line_too_long: 'line too long',
  idle_timeout: 'idle timeout',
  server_closed: 'closed by the server',
  socket_error: 'socket error',
} as const;

export type CloseReason = keyof typeof CLOSE_REASONS;

export interface ServerStats {
  accepted: number;
  /** Refused because --max-connections open ones were reached. */
  refused: number;
  closed: Record<CloseReason, number>;
  lines: number;
  bytesReceived: number;
  bytesSent: number;
}

export function createStats(): ServerStats {
  const closed = Object.fromEntries(Object.keys(CLOSE_REASONS).map((r) => [r, 0])) as Record<CloseReason, number>;
  return { accepted: 0, refused: 0, closed, lines: 0, bytesReceived: 0, bytesSent: 0 };
}
