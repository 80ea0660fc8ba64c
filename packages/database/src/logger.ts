/**
 * What the database logs through: connections the server closed (warn) and migrations that ran
 * (info). A logger from core's createLogger() is one.
 */
export interface DatabaseLogger {
  info(message: string, meta: Record<string, unknown>): void;
  warn(message: string, meta: Record<string, unknown>): void;
}
