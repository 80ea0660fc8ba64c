/** A CSV file could not be read as the import format; `line` is 1-based. */
export class CsvError extends Error {
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
 * columns are ignored, as csv.DictReader's users did.
 */
export function csvRecords<K extends string>(
  text: string,
  file: string,
  columns: readonly K[],
): Array<{ line: number; record: Record<K, string> }> {
  const [header, ...rows] = parseCsv(text.replace(/^\uFEFF/, ''), file);
  if (!header)
    throw new CsvError(file, null, `is empty; it needs a header row: ${columns.join(',')}`);
  const names = header.cells.map((h) => h.trim());
  const missing = columns.filter((c) => !names.includes(c));
  if (missing.length)
    throw new CsvError(file, header.line, `the header lacks ${missing.join(', ')}`);
  return rows.map(({ line, cells }) => {
    if (cells.length < names.length)
      throw new CsvError(file, line, `has ${cells.length} fields, the header ${names.length}`);
    const record = Object.fromEntries(columns.map((c) => [c, cells[names.indexOf(c)]!.trim()]));
    return { line, record: record as Record<K, string> };
  });
}
