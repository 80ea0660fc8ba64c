import yaml from 'js-yaml';
import { PYYAML_SCHEMA } from './pyyaml.js';
import {
  checkResult,
  totalSizeCheck,
  RESULT_LIMITS,
  ResultsFormatError,
  type CheckResult,
  type ParsedResults,
} from './result-yaml.js';

/** One test line of a TAP 13 document, with its YAMLish block. */
export interface TapTest {
  ok: boolean;
  id: number;
  description: string;
  directive?: { kind: 'TODO' | 'SKIP' | null; reason: string };
  yaml?: unknown;
}

export interface TapDocument {
  plan?: { first: number; last: number; comment?: string };
  tests: TapTest[];
}

// pytap13's patterns (part E.5).
const VERSION = /^\s*TAP version 13\s*$/i;
const PLAN = /^\s*(\d+)\.\.(\d+)\s*(#\s*(.*))?$/;
const TEST = /^\s*(not\s+)?ok\s*(\d+)?\s*([^#]+)?\s*(#\s*(TODO|SKIP)?\s*(.+)?)?$/i;
const YAML_START = /^(\s*)---\s*$/;
const YAML_END = /^\s*\.\.\.\s*$/;

function parseYamlBlock(lines: string[], where: string): unknown {
  try {
    // pytap13 read the block with yamlish, which is PyYAML: as checkb reads ResultYAML.
    return yaml.load(lines.join('\n'), { schema: PYYAML_SCHEMA });
  } catch (err) {
    const e = err as yaml.YAMLException;
    throw new ResultsFormatError(`${where}: the YAML block is not YAML: ${e.reason ?? e.message}`);
  }
}

/**
 * TAP 13 with embedded YAML, as pytap13 reads libtaskotron's output; unlike pytap13, several
 * documents back to back ("TAP version 13" again) are read one after the other (phab T205).
 * Missing ids are numbered; an id lower than the one before is an error, as is an unclosed or
 * broken YAML block. Other lines (comments, output) are ignored.
 */
export function parseTap13(text: string): TapDocument[] {
  if (Buffer.byteLength(text, 'utf8') > RESULT_LIMITS.bytes)
    throw new ResultsFormatError(`TAP is larger than ${RESULT_LIMITS.bytes} bytes`);
  const lines = text.split(/\r?\n/);
  const docs: TapDocument[] = [];
  let doc: TapDocument | null = null;
  let testCount = 0;
  const current = () => {
    if (!doc) docs.push((doc = { tests: [] }));
    return doc;
  };
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    const where = `TAP line ${n + 1}`;
    if (VERSION.test(line)) {
      docs.push((doc = { tests: [] }));
      continue;
    }
    const plan = PLAN.exec(line);
    if (plan) {
      const d = current();
      if (d.plan) throw new ResultsFormatError(`${where}: a second plan in one document`);
      d.plan = {
        first: Number(plan[1]),
        last: Number(plan[2]),
        ...(plan[4] ? { comment: plan[4].trim() } : {}),
      };
      continue;
    }
    const start = YAML_START.exec(line);
    if (start) {
      const d = current();
      const test = d.tests.at(-1);
      if (!test) throw new ResultsFormatError(`${where}: a YAML block before any test line`);
      if (test.yaml !== undefined)
        throw new ResultsFormatError(`${where}: a second YAML block for test ${test.id}`);
      const end = lines.findIndex((l, i) => i > n && YAML_END.test(l));
      if (end < 0) throw new ResultsFormatError(`${where}: the YAML block is not closed with ...`);
      const indent = start[1]!.length;
      const block = lines
        .slice(n + 1, end)
        .map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)));
      test.yaml = parseYamlBlock(block, where);
      n = end;
      continue;
    }
    const t = TEST.exec(line);
    if (!t) continue;
    const d = current();
    const previous = d.tests.at(-1)?.id ?? 0;
    const id = t[2] === undefined ? previous + 1 : Number(t[2]);
    if (id < previous)
      throw new ResultsFormatError(`${where}: test ${id} comes after test ${previous}`);
    if (++testCount > RESULT_LIMITS.results)
      throw new ResultsFormatError(`more than ${RESULT_LIMITS.results} tests`);
    const test: TapTest = { ok: !t[1], id, description: (t[3] ?? '').trim().replace(/^-\s*/, '') };
    if (t[4] !== undefined) {
      const kind = t[5]?.toUpperCase();
      test.directive = {
        kind: kind === 'TODO' || kind === 'SKIP' ? kind : null,
        reason: (t[6] ?? '').trim(),
      };
    }
    d.tests.push(test);
  }
  return docs;
}

/** "rpmlint for Koji build xchat.rpm" -> "rpmlint"; the unfilled `$CHECKNAME` gives nothing. */
function checknameOf(description: string): string | undefined {
  const word = /^(\S+)\s+for\s/.exec(description)?.[1];
  return word && word !== '$CHECKNAME' ? word : undefined;
}

/**
 * The results in libtaskotron's TAP output: one per test line with a YAML block (`item`,
 * `type`, `outcome`, `summary` as the note; other keys as data). Without an outcome, `ok` is
 * PASSED and `not ok` FAILED.
 */
export function tapResults(text: string): ParsedResults {
  const warnings: string[] = [];
  const results: CheckResult[] = [];
  const count = totalSizeCheck();
  parseTap13(text).forEach((doc, d) => {
    for (const test of doc.tests) {
      const where = `TAP document ${d + 1}, test ${test.id}`;
      if (test.yaml === undefined || test.yaml === null) {
        warnings.push(`${where}: no YAML block, no result`);
        continue;
      }
      if (typeof test.yaml !== 'object' || Array.isArray(test.yaml))
        throw new ResultsFormatError(`${where}: the YAML block must be a mapping`);
      const { summary, ...rest } = test.yaml as Record<string, unknown>;
      const checkname = checknameOf(test.description);
      const result = checkResult({ ...rest, note: rest.note ?? summary }, where, warnings, {
        outcome: test.ok ? 'PASSED' : 'FAILED',
        ...(checkname ? { checkname } : {}),
      });
      count(result);
      results.push(result);
    }
  });
  return { results, warnings };
}
