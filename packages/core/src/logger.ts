import winston from 'winston';

export type Logger = winston.Logger;

/**
 * One line per record, as journald shows it: `level [component] message key=value…`.
 * Timestamps are left to journald unless LOOPABULL_LOG_TIMESTAMPS is set.
 */
export function createLogger(component: string, level = 'info'): Logger {
  const withTime = Boolean(process.env.LOOPABULL_LOG_TIMESTAMPS);
  return winston.createLogger({
    level,
    defaultMeta: { component },
    format: winston.format.combine(
      winston.format.errors({ stack: false }),
      winston.format.timestamp(),
      winston.format.printf((info) => {
        const { level: lvl, message, component: comp, timestamp, ...meta } = info;
        const fields = Object.entries(meta)
          .filter(([k]) => typeof k === 'string' && k !== 'stack')
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        const time = withTime ? `${String(timestamp)} ` : '';
        return `${time}${lvl} [${String(comp)}] ${String(message)}${fields ? ' ' + fields : ''}`;
      }),
    ),
    transports: [new winston.transports.Console({ stderrLevels: [] })],
  });
}
