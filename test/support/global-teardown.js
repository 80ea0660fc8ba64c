import { rmSync } from 'node:fs';

export default function globalTeardown() {
  if (globalThis.loopabullTestTmp)
    rmSync(globalThis.loopabullTestTmp, { recursive: true, force: true });
}
