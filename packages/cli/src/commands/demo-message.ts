/**
 * The message `loopabull up --demo` publishes: a Koji build state change as fedmsg carried it
 * (the same as examples/messages/, kept in the code so the built command needs no source tree),
 * under the demo's own topic, which `playbooks/loopabull.demo.build.state.change.yml` runs. Koji's
 * topic runs Taskotron's trigger instead.
 */
export const DEMO_TOPIC = 'loopabull.demo.build.state.change';
export const KOJI_TOPIC = 'org.fedoraproject.prod.buildsys.build.state.change';
export const DEMO_FILE = `examples/messages/${KOJI_TOPIC}.json`;

export const DEMO_BODY = {
  build_id: 612324,
  old: 0,
  name: 'ansible',
  task_id: 8973154,
  attribute: 'state',
  instance: 'primary',
  version: '1.8.3',
  owner: 'kevin',
  new: 1,
  release: '1.el7',
};
