import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** The hostile-input suite's totals: how many cases of each kind of input it tried. */
function printHostileTally(dir) {
  const file = join(dir, 'hostile-tally.jsonl');
  if (!existsSync(file)) return;
  const totals = new Map();
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const { kind, cases } = JSON.parse(line);
    totals.set(kind, (totals.get(kind) ?? 0) + cases);
  }
  const width = Math.max(...[...totals.keys()].map((k) => k.length));
  const rows = [...totals].sort(([a], [b]) => a.localeCompare(b));
  process.stdout.write('\nhostile input tried:\n');
  for (const [kind, cases] of rows) process.stdout.write(`  ${kind.padEnd(width)}  ${cases}\n`);
  process.stdout.write(`  ${'total'.padEnd(width)}  ${rows.reduce((n, [, c]) => n + c, 0)}\n`);
}

export default function globalTeardown() {
  const dir = globalThis.loopabullTestTmp;
  if (!dir) return;
  printHostileTally(dir);
  rmSync(dir, { recursive: true, force: true });
}
