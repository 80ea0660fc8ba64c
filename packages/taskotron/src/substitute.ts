/**
 * `${var}` substitution as Taskotron rendered its rules template (Python's string.Template),
 * but on the parsed YAML rather than its text, so a value keeps its type: a string that is just
 * `${critpath_pkgs}` becomes the list itself. Inside a longer string a value is written as text
 * (lists joined with commas). A variable is `${var}` or, as string.Template also reads it, a bare
 * `$var` (the longest name: `$name_x` is `name_x`). `$$` is a literal `$`; an unknown variable
 * or a `$` followed by anything else stays as written (safe_substitute).
 */

const PLACEHOLDER = /\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;
const WHOLE = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/;

/** Whether `text` names a variable (`${var}` or `$var`), so only a message can tell its value. */
export const hasPlaceholder = (text: string): boolean => /\$(\{[A-Za-z_]|[A-Za-z_])/.test(text);

/** What a variable stands for: undefined keeps the placeholder. `parentKey` is the key it sits under. */
export type Lookup = (name: string, parentKey: string | undefined) => unknown;

const asText = (v: unknown): string =>
  typeof v === 'string'
    ? v
    : Array.isArray(v)
      ? v.map(asText).join(',')
      : typeof v === 'number' || typeof v === 'boolean'
        ? String(v)
        : JSON.stringify(v);

export function substituteString(text: string, lookup: Lookup, parentKey?: string): unknown {
  const whole = WHOLE.exec(text);
  if (whole) {
    const value = lookup((whole[1] ?? whole[2])!, parentKey);
    return value === undefined ? text : value;
  }
  return text.replace(
    PLACEHOLDER,
    (all, dollar: string, braced: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare;
      if (name === undefined) return dollar === '$' ? '$' : all;
      const value = lookup(name, parentKey);
      return value === undefined ? all : asText(value);
    },
  );
}

/** A copy of `tree` with every string's placeholders replaced; keys are left alone. */
export function substitute(tree: unknown, lookup: Lookup, parentKey?: string): unknown {
  if (typeof tree === 'string') return substituteString(tree, lookup, parentKey);
  if (Array.isArray(tree)) return tree.map((v) => substitute(v, lookup, parentKey));
  if (typeof tree === 'object' && tree !== null) {
    return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, substitute(v, lookup, k)]));
  }
  return tree;
}

/** The message's own fields (not inherited ones) as variables. */
export const fieldsOf =
  (data: Record<string, unknown>): Lookup =>
  (name) =>
    Object.hasOwn(data, name) ? data[name] : undefined;
