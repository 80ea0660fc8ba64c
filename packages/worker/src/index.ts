export { LoopabullWorker, REDIS_WAIT_MS, type LoopabullWorkerOptions } from './worker.js';
export { StateNotWritten } from './errors.js';
export {
  resolveAutomation,
  candidatePaths,
  kindOf,
  isAutomationFile,
  AUTOMATION_EXTENSIONS,
  type Resolution,
  type Candidate,
  type Translator,
  type AutomationKind,
} from './resolve.js';
export { runOnce, type RunFailure, type RunOnceOptions, type RunOnceResult } from './run-once.js';
