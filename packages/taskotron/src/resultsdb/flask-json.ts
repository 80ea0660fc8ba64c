/**
 * ResultsDB's answers as Flask's `jsonify` wrote them (pure): every object's keys sorted
 * (`JSON_SORT_KEYS`, on in every Flask ResultsDB ran on, so `{"data": ..., "next": ...,
 * "prev": ...}` and a result's `data`, `groups`, `href`, `id`, ...), sent as `application/json`
 * without a charset (Werkzeug adds one to `text/` types only).
 */

export const FLASK_JSON_TYPE = 'application/json';

/** Python's order of `str`s: by code point (JavaScript's `<` compares UTF-16 units). */
export function byCodePoint(a: string, b: string): number {
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(j)!;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}

/**
 * Keys JavaScript may order otherwise than Python: those starting with a digit (an array index
 * such as `"10"` is listed first by any object, in numeric order), and those with a surrogate or
 * a unit U+E000 to U+FFFF, where UTF-16 order and code point order part.
 */
const UNLIKE_PYTHON = /^\d|[\uD800-\uFFFF]/;

/** `value` as JSON text with every object's keys in `json.dumps(sort_keys=True)`'s order. */
export function flaskJson(value: unknown): string {
  let careful = false;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    // No prototype: a key such as `__proto__` is a key like any other.
    const sorted = Object.create(null) as Record<string, unknown>;
    for (const k of Object.keys(v).sort()) {
      if (UNLIKE_PYTHON.test(k)) careful = true;
      sorted[k] = (v as Record<string, unknown>)[k];
    }
    return sorted;
  });
  // Rare (a data key `"10"`): then every member is written in order by hand.
  return careful ? written(value) : text;
}

/** `flaskJson` written member by member, for objects whose keys JavaScript would reorder. */
function written(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : written(v))).join(',')}]`;
  const o = value as Record<string, unknown>;
  const members = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort(byCodePoint);
  return `{${members.map((k) => `${JSON.stringify(k)}:${written(o[k])}`).join(',')}}`;
}
