export { hardware } from './automation.js';
export { hardwareSection, hardwareSettings, type HardwareSection } from './section.js';
export { hardwareHandler, hardwareBatchHandler, type HardwareResult } from './handler.js';
export { hardwareRoutes } from './mount.js';
export { machinesCommand, type CliIo } from './cli.js';
export { MachineStore } from './machine-store.js';
export type { ListOptions } from './reading.js';
export type { RecordResult } from './recording.js';
export type { PreloadResult } from './preload.js';
export { HARDWARE_KEYS, LIMITS } from './keys.js';
export type {
  MachineRecord,
  MachineDetail,
  ExceptionRecord,
  UnattributedRecord,
} from './records.js';
export {
  observe,
  stateOf,
  RUN_STATES,
  WORKER_GONE_REASONS,
  MAX_CLOCK_SKEW_SECONDS,
  type Observation,
  type Observed,
  type RunState,
  type Worker,
} from './observation.js';
export {
  taskIds,
  routingKeyIds,
  idWord,
  machineId,
  partitionMachineId,
  parseMachineId,
  type TaskIds,
} from './identity.js';
export { formatLastseen, parseTimestamp, normalizeTimestamp } from './timestamp.js';
export { pythonJsonDumps } from './compat-json.js';
export { renderDashboard } from './dashboard.js';
