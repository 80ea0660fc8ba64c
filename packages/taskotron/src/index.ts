export { taskotron } from './automation.js';
export {
  taskotronSection,
  taskotronSettings,
  taskotronPaths,
  SHIPPED_RULES,
  SHIPPED_TASKS_DIR,
  type TaskotronSection,
} from './section.js';
export {
  normalise,
  triggerTopics,
  distgitBranch,
  ITEM_TYPES,
  type ItemType,
  type TriggerData,
  type Normalised,
  type NormaliseOptions,
  type Deployment,
} from './normalise.js';
