import {
  SHIPPED_PLAYBOOKS_DIR,
  topicBound,
  type Automation,
  type Config,
  type DoctorCheck,
} from '@loopabull/core';

/**
 * The topics of an automation whose messages would reach a worker: those the bus delivers, and
 * its internal ones once any of those is. A topic nothing delivers needs no file.
 */
function topicsDelivered(config: Config, automation: Automation): string[] {
  const topics = automation.topics ?? [];
  const bound = topics.filter((t) => !t.internal && topicBound(config, t.topic));
  if (bound.length === 0) return [];
  return [...bound, ...topics.filter((t) => t.internal)].map((t) => t.topic);
}

/**
 * `loopabull doctor`'s check that an enabled automation's topics have something to run in the
 * playbooks directory. Its handler files ship in the source tree's `playbooks/`, but workers
 * look only in `ansible.playbooks_dir`: an installation that points it elsewhere and did not copy
 * them gets every such message as an unrouted job, with no error anywhere.
 */
export function handlerFilesCheck(config: Config, automation: Automation): DoctorCheck {
  const dir = config.ansible.playbooks_dir;
  const fix = `make ${dir} a directory (the playbooks check) holding its handler files from ${SHIPPED_PLAYBOOKS_DIR} (or set ${automation.name}.enabled: false)`;
  return {
    name: `${automation.name} files`,
    fix,
    probe: async () => {
      const delivered = topicsDelivered(config, automation);
      if (delivered.length === 0)
        return `none of its ${automation.topics!.length} topics is bound (bus.bindings, routing_keys): no handler file needed`;
      const { resolveAutomation } = await import('@loopabull/worker');
      const missing: string[] = [];
      for (const topic of delivered)
        if (!resolveAutomation(config, topic).found) missing.push(topic);
      if (missing.length === 0)
        return `each of the ${delivered.length} topics it takes (bound, and its own) has an automation in ${dir}`;
      const files = missing.map((t) => `${t}.mjs`);
      throw Object.assign(
        new Error(
          `${missing.length} of the topics it takes ${missing.length > 1 ? 'have' : 'has'} no automation in ${dir}, so their jobs end unrouted: ${missing.join(', ')}`,
        ),
        {
          fix: `copy the shipped handler ${files.length > 1 ? 'files' : 'file'}: cd ${SHIPPED_PLAYBOOKS_DIR} && install -m 0644 ${files.join(' ')} ${dir}/ (or set ${automation.name}.enabled: false; \`loopabull resolve TOPIC\` shows what runs)`,
        },
      );
    },
  };
}
