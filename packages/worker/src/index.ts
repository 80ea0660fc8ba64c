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
export { renderVars, renderExtraVars, withVarsFile, type RunMeta, type Json } from './vars-file.js';
export {
  classifyExit,
  type Classification,
  type ExitInfo,
  type ExitVerdict,
} from './exit-codes.js';
export { RunError } from './errors.js';
export {
  KILL_GRACE_MS,
  spawnPlaybook,
  type PlaybookRun,
  type PlaybookExit,
} from './playbook-runner.js';
