import { ConfigError } from '@loopabull/core/errors';

/**
 * A CSV file could not be read as the import format; `line` is 1-based. A ConfigError: the file
 * named on the command line is what must change, so `dbimport` exits 2, as for a file that is not
 * there (docs/slavealloc.md, CLI).
 */
export class CsvError extends ConfigError {
  constructor(
    readonly file: string,
    readonly line: number | null,
    problem: string,
  ) {
    super(`${file}${line === null ? '' : `, line ${line}`}: ${problem}`);
    this.name = 'CsvError';
  }
}

/**
 * Rows of a CSV text as Python's csv module reads the "excel" dialect: commas, `"` quoting
 * with `""` for a quote, CRLF or LF line ends, blank lines skipped. Each row keeps its
 * starting line number for messages.
 */
function parseCsv(text: string, file: string): Array<{ line: number; cells: string[] }> {
  const rows: Array<{ line: number; cells: string[] }> = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let touched = false;
  const endRow = () => {
    if (touched || cells.length) rows.push({ line: rowLine, cells: [...cells, cell] });
    cells = [];
    cell = '';
    touched = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        cell += c;
      }
      continue;
    }
    if (c === '"' && cell === '') {
      quoted = true;
      touched = true;
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
      touched = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else {
      cell += c;
      touched = true;
    }
  }
  if (quoted) throw new CsvError(file, rowLine, 'a quoted field is not closed');
  endRow();
  return rows;
}

/**
 * The rows as objects keyed by the header row's names, which must include `columns`; extra
 * columns are ignored, as csv.DictReader's users did. Names and values are kept as read, spaces
 * included, as Python's csv module kept them: a header `name, basedir` has no `basedir` column.
 */
export function csvRecords<K extends string>(
  text: string,
  file: string,
  columns: readonly K[],
): Array<{ line: number; record: Record<K, string> }> {
  const [header, ...rows] = parseCsv(text.replace(/^\uFEFF/, ''), file);
  if (!header)
    throw new CsvError(file, null, `is empty; it needs a header row: ${columns.join(',')}`);
  const names = header.cells;
  const missing = columns.filter((c) => !names.includes(c));
  if (missing.length) {
    const spaced = names.some(hasSpacesAround)
      ? '; a name with spaces around it is another name, as for the original'
      : '';
    throw new CsvError(
      file,
      header.line,
      `the header lacks ${missing.join(', ')}: it reads ${names.map((n) => JSON.stringify(n)).join(',')}${spaced}`,
    );
  }
  return rows.map(({ line, cells }) => {
    if (cells.length < names.length)
      throw new CsvError(file, line, `has ${cells.length} fields, the header ${names.length}`);
    const record = Object.fromEntries(columns.map((c) => [c, cells[names.indexOf(c)]!]));
    return { line, record: record as Record<K, string> };
  });
}

/** Whether a value starts or ends with white space, which a name must not. */
export const hasSpacesAround = (value: string): boolean => /^\s|\s$/.test(value);

/** The white space Python 2's int() skips around the digits: C's isspace(). */
const PYTHON_INT = /^[ \t\n\v\f\r]*([+-]?\d+)[ \t\n\v\f\r]*$/;

/**
 * A port column (`http_port`, `pb_port`) read as the original's int() read it: digits with an
 * optional sign and white space around them. `empty` is what an empty value means, if anything
 * (the original's `http_port` empty is 0); white space alone is no number, as for int().
 */
export function csvPort(
  value: string,
  where: { file: string; line: number; column: string },
  empty?: number,
): number {
  if (value === '' && empty !== undefined) return empty;
  const digits = PYTHON_INT.exec(value)?.[1];
  // + 0: int('-0') is 0, where Number('-0') is -0.
  const n = digits === undefined ? NaN : Number(digits) + 0;
  if (!(n >= 0 && n <= 65535))
    throw new CsvError(
      where.file,
      where.line,
      `${where.column} ${JSON.stringify(value)} is not a port number`,
    );
  return n;
}
