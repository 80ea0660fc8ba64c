export { taskotron } from './automation.js';
export {
  taskotronSection,
  taskotronSettings,
  taskotronPaths,
  SHIPPED_RULES,
  SHIPPED_TASKS_DIR,
  type TaskotronSection,
} from './section.js';
