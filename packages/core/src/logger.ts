import winston from 'winston';
import { printable } from './format.js';

export type Logger = winston.Logger;

/** Whether LOOPABULL_LOG_TIMESTAMPS asks for times: set, and not one of the ways to say no. */
export const logTimestamps = (value: string | undefined): boolean =>
  !['', '0', 'false', 'no', 'off'].includes((value ?? '').trim().toLowerCase());

/**
 * One line per record, as journald shows it: `level [component] message key=value…`, with
 * control characters escaped. Timestamps are left to journald unless LOOPABULL_LOG_TIMESTAMPS
 * says otherwise.
 */
export function createLogger(component: string, level = 'info'): Logger {
  const withTime = logTimestamps(process.env.LOOPABULL_LOG_TIMESTAMPS);
  const { levels } = winston.config.npm;
  const threshold = levels[level] ?? levels.info!;
  const logger = winston.createLogger({
    level,
    defaultMeta: { component },
    format: winston.format.combine(
      // Winston formats every record and leaves the level to the transport: a debug line per
      // message cost the looper 4% of its time while nothing was printed. A falsy format result
      // drops the record before the formatting.
      winston.format((info) => ((levels[info.level] ?? 0) <= threshold ? info : false))(),
      winston.format.errors({ stack: false }),
      winston.format.timestamp(),
      winston.format.printf((info) => {
        const { level: lvl, message, component: comp, timestamp, ...meta } = info;
        const fields = Object.entries(meta)
          .filter(([k]) => typeof k === 'string' && k !== 'stack')
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        const time = withTime ? `${String(timestamp)} ` : '';
        // Fields carry text from the bus: a line break or an escape sequence in a routing key
        // must not forge a log line or rewrite the terminal.
        return printable(
          `${time}${lvl} [${String(comp)}] ${String(message)}${fields ? ' ' + fields : ''}`,
        );
      }),
    ),
    // Standard error, all of it: standard output is for what a command prints (`--json`), and
    // journald takes both streams alike.
    transports: [new winston.transports.Console({ stderrLevels: Object.keys(levels) })],
  });
  // A call at a level below the threshold still built a record and ran it through the stream
  // before the format above dropped it: a worker's two info lines per job were 3 % of its CPU.
  // Child loggers inherit these.
  // Winston's isInfoEnabled() and the like walk its transports, building an array on each call:
  // the level is fixed here, so the answer is too.
  const methods = logger as unknown as Record<string, unknown>;
  for (const [name, rank] of Object.entries(levels)) {
    if (rank > threshold) methods[name] = () => logger;
    const enabled = rank <= threshold;
    methods[`is${name[0]!.toUpperCase()}${name.slice(1)}Enabled`] = () => enabled;
  }
  return logger;
}
