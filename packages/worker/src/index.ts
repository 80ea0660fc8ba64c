export { LoopabullWorker, type LoopabullWorkerOptions } from './worker.js';
export {
  resolveAutomation,
  candidatePaths,
  kindOf,
  AUTOMATION_EXTENSIONS,
  type Resolution,
  type Candidate,
  type Translator,
  type AutomationKind,
} from './resolve.js';
export { runOnce, type RunOnceOptions, type RunOnceResult } from './run-once.js';
export { renderVars, withVarsFile, type RunMeta } from './vars-file.js';
export {
  classifyExit,
  type Classification,
  type ExitInfo,
  type ExitVerdict,
} from './exit-codes.js';
export { RunError } from './errors.js';
export { KILL_GRACE_MS } from './playbook-runner.js';
