/**
 * JSON exactly as the original's Python 2.7 `json.dumps` wrote it, so `/machines` and
 * `/machines/<id>` answer byte for byte what releng-hardware answered for the same Redis data:
 * everything outside printable ASCII escaped (`ensure_ascii`), and with `indent` Python 2's `", "` item separator, which
 * leaves a space at the end of every line but the last of each container.
 */
export function pythonJsonDumps(value: unknown, indent?: number): string {
  return dump(value, indent, 0);
}

const asciiOnly = (json: string) =>
  json.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));

function dump(value: unknown, indent: number | undefined, depth: number): string {
  if (value === null || typeof value !== 'object')
    return asciiOnly(JSON.stringify(value) ?? 'null');
  const items = Array.isArray(value)
    ? value.map((v) => dump(v, indent, depth + 1))
    : Object.entries(value).map(
        ([k, v]) => `${asciiOnly(JSON.stringify(k))}: ${dump(v, indent, depth + 1)}`,
      );
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (items.length === 0) return open + close;
  if (indent === undefined) return open + items.join(', ') + close;
  const inner = '\n' + ' '.repeat(indent * (depth + 1));
  const outer = '\n' + ' '.repeat(indent * depth);
  return open + inner + items.join(', ' + inner) + outer + close;
}
