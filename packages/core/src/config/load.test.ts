import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import type { Automation } from '../automation.js';
import { ConfigError } from '../errors.js';
import { loadConfig } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'loopabull-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const load = (path: string, env: NodeJS.ProcessEnv = {}) => loadConfig({ path, env, cwd: dir });

describe('loadConfig', () => {
  it('runs on defaults without any file', () => {
    const config = loadConfig({ env: {}, cwd: dir });
    expect(config.source).toBeNull();
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', prefix: 'loopabull' });
    expect(config.bus.preset).toBe('fedora-messaging');
    expect(config.ansible.playbooks_dir).toBe(join(dir, 'playbooks'));
    expect(config.routing_keys).toEqual(['all']);
  });

  it('names the unknown key and the file', () => {
    const path = write('unknown.yml', 'bus:\n  presett: pulse\n');
    expect(() => load(path)).toThrow(ConfigError);
    expect(() => load(path)).toThrow(/unknown\.yml[\s\S]*bus\.presett/);
  });

  it('refuses a timeout that Node could not set as a timer (it would fire at once)', () => {
    const path = write('timer.yml', 'ansible:\n  timeout: 2592000\n');
    expect(() => load(path)).toThrow(/ansible\.timeout: at most 2147483 seconds \(24\.8 days\)/);
    expect(load(write('timer-ok.yml', 'ansible:\n  timeout: 2147483\n')).ansible.timeout).toBe(
      2147483,
    );
  });

  it('takes playbook batch mode per topic, naming a bad topic, size or key', () => {
    const ok = write(
      'batch.yml',
      'ansible:\n  batch:\n    org.example.burst: { max: 100, wait: 2 }\n',
    );
    expect(load(ok).ansible.batch).toEqual({ 'org.example.burst': { max: 100, wait: 2 } });
    expect(loadConfig({ env: {}, cwd: dir }).ansible.batch).toEqual({});
    const bad = write(
      'batch-bad.yml',
      'ansible:\n  batch:\n    "a b": { max: 10, wait: 1 }\n    org.x: { max: 1, wait: 1 }\n    org.y: { max: 5, wait: 1, size: 3 }\n',
    );
    expect(() => load(bad)).toThrow(/ansible\.batch\.a b: not a topic/);
    expect(() => load(bad)).toThrow(/ansible\.batch\.org\.x\.max: Too small/);
    expect(() => load(bad)).toThrow(/unknown key ansible\.batch\.org\.y\.size/);
  });

  it('names a key with the wrong type', () => {
    const path = write('type.yml', 'workers:\n  concurrency: many\n');
    expect(() => load(path)).toThrow(/workers\.concurrency/);
  });

  it('refuses a routing_keys entry that no topic can equal, naming it and where patterns go', () => {
    // The filter compares exact topics: a pattern or a path would drop its messages unseen.
    const path = write(
      'routing-patterns.yml',
      "routing_keys: [org.example.a, 'org.fedoraproject.*', 'org.#', ../etc]\n",
    );
    expect(() => load(path)).toThrow(ConfigError);
    for (const i of [1, 2, 3])
      expect(() => load(path)).toThrow(
        new RegExp(`routing-patterns\\.yml[\\s\\S]*routing_keys\\.${i}: not a topic`),
      );
    expect(() => load(path)).not.toThrow(/routing_keys\.0/);
    expect(() => load(path)).toThrow(/patterns with \* and # belong in bus\.bindings/);
    const ok = write('routing-ok.yml', 'routing_keys: [all, org.example.a-b_c.1]\n');
    expect(load(ok).routing_keys).toEqual(['all', 'org.example.a-b_c.1']);
  });

  it('reports YAML syntax errors with the file', () => {
    const path = write('broken.yml', 'bus: [\n');
    expect(() => load(path)).toThrow(/broken\.yml is not valid YAML/);
    // Where and why, never the file's lines around it: they hold its passwords and token.
    const secret = write('secret.yml', 'http:\n  token: tok-SECRET\n  port: [8194\n');
    expect(() => load(secret)).toThrow(
      `config file ${secret} is not valid YAML: unexpected end of the stream within a flow collection (line 4, column 1)`,
    );
    expect(() => load(secret)).not.toThrow(/tok-SECRET/);
  });

  it('lets environment variables override the file', () => {
    const path = write('env.yml', 'redis:\n  url: redis://file:6379\nhttp:\n  port: 1\n');
    const config = load(path, {
      REDIS_URL: 'redis://env:6379',
      AMQP_URL: 'amqp://env',
      LOOPABULL_PLAYBOOKS_DIR: '/srv/pb',
      LOOPABULL_HTTP_PORT: '9999',
    });
    expect(config.redis.url).toBe('redis://env:6379');
    expect(config.bus.url).toBe('amqp://env');
    expect(config.ansible.playbooks_dir).toBe('/srv/pb');
    expect(config.http.port).toBe(9999);
  });

  it('names the environment variable when its value is wrong', () => {
    const path = write('envbad.yml', '');
    expect(() => load(path, { LOOPABULL_HTTP_PORT: 'eighty' })).toThrow(
      /http\.port.*LOOPABULL_HTTP_PORT/,
    );
  });

  it('reads a fold prefix as ending at a word, with or without its dot', () => {
    const path = write(
      'folds.yml',
      'topics: { fold_prefixes: [org.fedoraproject.stg, org.fedoraproject.prod.] }\n',
    );
    expect(load(path).topics.fold_prefixes).toEqual([
      'org.fedoraproject.stg.',
      'org.fedoraproject.prod.',
    ]);
  });

  it('refuses Redis and broker URLs it could not connect with, before connecting', () => {
    const path = write('urls.yml', '');
    for (const [env, message] of [
      [{ REDIS_URL: 'http://x' }, /redis\.url: scheme http: is not redis: or rediss:.*REDIS_URL/],
      [
        { REDIS_URL: 'redis://h:6379/notanumber' },
        /redis\.url: database "notanumber" is not a number/,
      ],
      [{ REDIS_URL: 'localhost:6379' }, /redis\.url: scheme localhost: is not redis:/],
      [{ REDIS_URL: 'no url' }, /redis\.url: not a URL/],
      [{ AMQP_URL: 'http://example' }, /bus\.url: scheme http: is not amqp: or amqps:.*AMQP_URL/],
      // The broker drops a connection asking for these, which would read as a broker that is down.
      [
        { AMQP_URL: 'amqp://h/?frame_max=1000' },
        /bus\.url: query parameter frame_max=1000 must be 0 \(the broker’s\) or at least 4096/,
      ],
      [
        { AMQP_URL: 'amqp://h/?channelMax=abc' },
        /bus\.url: query parameter channelMax=abc must be/,
      ],
      [{ AMQP_URL: 'amqp://h/?heartbeat=-1' }, /bus\.url: query parameter heartbeat=-1 must be/],
    ] as const) {
      expect(() => load(path, env)).toThrow(ConfigError);
      expect(() => load(path, env)).toThrow(message);
    }
    for (const url of ['redis://h:6379', 'redis://h:6379/', 'rediss://:p@h/15', '/run/redis.sock'])
      expect(load(path, { REDIS_URL: url }).redis.url).toBe(url);
    expect(load(path, { AMQP_URL: 'amqps://u:p@h/%2Fv' }).bus.url).toBe('amqps://u:p@h/%2Fv');
    const tuned = 'amqp://u:p@h/v?frame_max=8192&channel_max=0&heartbeat=30&locale=en_US';
    expect(load(path, { AMQP_URL: tuned }).bus.url).toBe(tuned);
  });

  it('refuses a database.url that is none of the accepted forms, naming the key and not the password', () => {
    for (const [url, problem] of [
      ['oracle://lb:s3cr3t@db/x', /database URL oracle:\/\/lb:\*\*\*@db\/x is not supported/],
      ['sqlite://loopabull.db', /names a host; a file is written sqlite:\/\/\/loopabull\.db/],
      ['postgresql://lb:s3cr3t@db', /postgresql:\/\/lb:\*\*\*@db needs one database name/],
      ['mysql://lb:s3cr3t@db/x?ssl=1', /has ssl=: TLS to MariaDB\/MySQL is not supported/],
      ['mariadb://lb:s3%zzcr3t@db/x', /a % that starts no escape in its password/],
      ['', /database URL {2}is not supported/],
    ] as const) {
      const path = write('db.yml', `database: { url: ${JSON.stringify(url)} }\n`);
      expect(() => load(path)).toThrow(ConfigError);
      expect(() => load(path)).toThrow(/db\.yml:\n {2}- database\.url: database URL /);
      expect(() => load(path)).toThrow(problem);
      expect(() => load(path)).toThrow(/Accepted forms: sqlite:\/\/\/relative/);
      expect(() => load(path)).not.toThrow(/s3(%zz)?cr3t/);
    }
    for (const url of [
      'sqlite:///loopabull.db',
      'sqlite:////var/lib/loopabull/loopabull.db',
      'sqlite://',
      'postgresql+psycopg2://lb:s3cr3t@db.example.org:5432/loopabull',
      'mariadb://lb@db.example.org/loopabull',
    ]) {
      const path = write('db-ok.yml', `database: { url: '${url}' }\n`);
      expect(load(path).database.url).toBe(url);
    }
  });

  it('loads a Loopabull 0.0.7 file unchanged and takes its bus settings from the looper block', () => {
    const path = write(
      'legacy.yml',
      `loglevel: debugging
plugins:
  looper:
    name: fedmsgrabbitmq
    routing_keys:
      - org.fedoraproject.prod.buildsys.build.state.change
    rabbitmq: { host: rabbit.example.org, virtual_host: /pubsub }
    credentials: { username: me, password: secret }
    channel_queue: { name: workers, durable: false }
  translator:
    name: rkdirectory
routing_keys:
  - org.fedoraproject.prod.buildsys.build.state.change
ansible:
  playbooks_dir: /srv/loopabull-tasks/playbooks
  cfg_file_path: /etc/ansible/ansible.cfg
  playbook_cmd: /usr/bin/rbac-playbook
`,
    );
    const config = load(path);
    expect(config.loglevel).toBe('debug');
    expect(config.plugins.translator.name).toBe('rkdirectory');
    expect(config.ansible).toMatchObject({
      playbooks_dir: '/srv/loopabull-tasks/playbooks',
      cfg_file_path: '/etc/ansible/ansible.cfg',
      playbook_cmd: '/usr/bin/rbac-playbook',
    });
    expect(config.bus.queue).toBe('workers');
    // Its own work queue too: another 0.0.7 file on the same Redis keeps to its own.
    expect(config.queue.name).toBe('workers');
    expect(config.bus.url).toBe('amqp://me:secret@rabbit.example.org/%2Fpubsub');
    expect(config.bus.bindings).toEqual([
      { exchange: 'amq.topic', routing_key: 'org.fedoraproject.prod.buildsys.build.state.change' },
    ]);
  });

  it("names a 0.0.7 file's work queue after its channel_queue, unless the file names one", () => {
    const block = (name: string) =>
      `plugins:\n  looper:\n    name: fedmsgrabbitmq\n    channel_queue: { name: ${name} }\n`;
    expect(load(write('dotted.yml', block('loopabull.releng/eng'))).queue.name).toBe(
      'loopabull_releng_eng',
    );
    expect(load(write('named.yml', `${block('workers')}queue: { name: mine }\n`)).queue.name).toBe(
      'mine',
    );
    expect(
      load(write('no-channel-queue.yml', 'plugins:\n  looper:\n    name: fedmsgrabbitmq\n')).queue
        .name,
    ).toBe('loopabull');
  });

  it("reads YAML 1.1's yes, no, on and off as booleans, as 0.0.7's PyYAML did, and an empty cfg_file_path as none", () => {
    const legacy = write(
      'legacy-yaml11.yml',
      `plugins:
  looper:
    name: fedmsgrabbitmq
    channel_queue: { name: workers, durable: yes, exclusive: No, auto_delete: OFF }
routing_keys: [all]
ansible:
  playbooks_dir: /srv/playbooks
  cfg_file_path: ""
  playbook_cmd: 'yes'
`,
    );
    const config = load(legacy);
    expect(config.plugins.looper?.channel_queue).toEqual({
      name: 'workers',
      durable: true,
      exclusive: false,
      auto_delete: false,
    });
    expect(config.ansible.cfg_file_path).toBeNull();
    // Quoted, it is text.
    expect(config.ansible.playbook_cmd).toBe('yes');
    const off = write('yaml11.yml', 'bus: { declare_exchanges: off }\n');
    expect(load(off).bus.declare_exchanges).toBe(false);
  });

  it('maps 0.0.7 looper tls, rabbitmq.port and exchange.name to an amqps URL, bus.tls and the bindings', () => {
    const path = write(
      'legacy-tls.yml',
      `plugins:
  looper:
    name: fedmsgrabbitmq
    routing_keys: [org.example.a, 'org.example.b.#']
    rabbitmq: { host: rabbit.example.org, port: 5671, virtual_host: /public_pubsub }
    exchange: { name: pubsub-topic }
    tls: { ca_cert: certs/ca.pem, certfile: /etc/pki/me.crt, keyfile: me.key }
    credentials: { username: ignored, password: under-tls }
    channel_queue: { name: workers }
routing_keys: [all]
`,
    );
    const { bus } = load(path);
    // With tls, 0.0.7 logged in with the client certificate: no password, so the bus does too.
    expect(bus.url).toBe('amqps://rabbit.example.org:5671/%2Fpublic_pubsub');
    // Relative certificate paths are the file's, as every path in it.
    expect(bus.tls).toEqual({
      ca_cert: join(dir, 'certs/ca.pem'),
      certfile: '/etc/pki/me.crt',
      keyfile: join(dir, 'me.key'),
    });
    expect(bus.bindings).toEqual([
      { exchange: 'pubsub-topic', routing_key: 'org.example.a' },
      { exchange: 'pubsub-topic', routing_key: 'org.example.b.#' },
    ]);
    expect(bus.queue).toBe('workers');
    // `loopabull publish` and ctx.publish send where this looper consumes, not to amq.topic.
    expect(bus.publish_exchange).toBe('pubsub-topic');
  });

  it('keeps 0.0.7 plain amqp when the looper block has no tls, with its port', () => {
    const path = write(
      'legacy-port.yml',
      'plugins:\n  looper:\n    rabbitmq: { host: 127.0.0.1, port: 5673 }\n    channel_queue: { name: q }\n',
    );
    const { bus } = load(path);
    expect(bus.url).toBe('amqp://guest:guest@127.0.0.1:5673');
    expect(bus.tls).toEqual({ ca_cert: null, certfile: null, keyfile: null });
  });

  // pika's ConnectionParameters(**rabbitmq): what the block leaves out is pika's default, and
  // the credentials are the login wherever the broker is.
  it.each([
    [
      'credentials and no host: the local broker, as that user',
      '{ rabbitmq: { virtual_host: /pubsub }, credentials: { username: me, password: "s:cret" } }',
      'amqp://me:s%3Acret@localhost/%2Fpubsub',
    ],
    [
      'credentials and no rabbitmq block',
      '{ credentials: { username: me, password: secret } }',
      'amqp://me:secret@localhost',
    ],
    [
      'an empty rabbitmq block: pika’s guest on localhost',
      '{ rabbitmq: {} }',
      'amqp://guest:guest@localhost',
    ],
    [
      'an IPv6 address as pika took it',
      '{ rabbitmq: { host: "::1", port: 5673 }, credentials: { username: me, password: pw } }',
      'amqp://me:pw@[::1]:5673',
    ],
    [
      'no connection keys at all (the fedmsg looper): the default',
      '{ name: fedmsg }',
      'amqp://guest:guest@127.0.0.1:5672',
    ],
  ])('reads a 0.0.7 looper block with %s', (_what, looper, url) => {
    const path = write('legacy-nohost.yml', `plugins:\n  looper: ${looper}\n`);
    expect(load(path).bus.url).toBe(url);
  });

  it('names the 0.0.7 host and the file when the host cannot be in a URL', () => {
    const path = write(
      'legacy-badhost.yml',
      'plugins:\n  looper: { rabbitmq: { host: "rabbit mq" } }\n',
    );
    expect(() => load(path)).toThrow(ConfigError);
    expect(() => load(path)).toThrow(
      /legacy-badhost\.yml:\n {2}- plugins\.looper\.rabbitmq\.host: "rabbit mq" is not a host name/,
    );
  });

  it('checks the 0.0.7 looper block like any other: a misspelt name or key, a port as text', () => {
    // These fell back to the defaults before: the looper consumed a bus nobody configured.
    const path = write(
      'legacy-typos.yml',
      `plugins:
  looper:
    name: fedmsgrabitmq
    rabbitmq: { host: rabbit.example.org, port: "5671", virtual_host: /pubsub, heartbeat: 30 }
    channel_queu: { name: workers }
`,
    );
    expect(() => load(path)).toThrow(ConfigError);
    for (const line of [
      /legacy-typos\.yml:\n/,
      /\n {2}- plugins\.looper\.name: .*"fedmsgrabbitmq"\|"fedmsg"\|"redis"/,
      /\n {2}- plugins\.looper\.rabbitmq\.port: .*expected number/,
      /\n {2}- unknown key plugins\.looper\.channel_queu\b/,
    ])
      expect(() => load(path)).toThrow(line);
    // pika's own tuning arguments were valid in 0.0.7 and stay so.
    expect(() => load(path)).not.toThrow(/heartbeat/);
  });

  it('loads a 0.0.7 block whose tls, credentials or routing_keys are empty, as 0.0.7 skipped them', () => {
    // 0.0.7 tested each for truth: `tls:` with its lines commented out, or `tls: {}`, was no TLS.
    for (const tls of ['', '{}']) {
      const path = write(
        'legacy-empty.yml',
        `plugins:
  looper:
    name: fedmsgrabbitmq
    rabbitmq: { host: rabbit.example.org }
    credentials: { username: me, password: secret }
    tls: ${tls}
    routing_keys:
    channel_queue: { name: workers }
`,
      );
      const { bus } = load(path);
      expect(bus.url).toBe('amqp://me:secret@rabbit.example.org');
      expect(bus.tls).toEqual({ ca_cert: null, certfile: null, keyfile: null });
    }
    // routing_keys empty, commented out or [], is no list: the default binding, not none at all
    // (a queue bound to nothing would take no message and say nothing).
    for (const keys of ['', '[]']) {
      const path = write(
        'legacy-empty-keys.yml',
        `plugins:\n  looper:\n    name: fedmsgrabbitmq\n    routing_keys: ${keys}\n    channel_queue: { name: workers }\n`,
      );
      expect(load(path).bus.bindings).toEqual([{ exchange: 'amq.topic', routing_key: '#' }]);
    }
    const path = write(
      'legacy-no-credentials.yml',
      `plugins:
  looper:
    name: fedmsgrabbitmq
    rabbitmq: { host: rabbit.example.org }
    credentials:
    channel_queue: { name: workers }
`,
    );
    expect(load(path).bus.url).toBe('amqp://guest:guest@rabbit.example.org');
  });

  it('runs playbooks alone from a 0.0.7 file, also with keys of this version added: the automations, on by default, are off in it', () => {
    const playbooksOnly: Automation = {
      name: 'demo',
      description: 'an automation that is on by default',
      section: z.strictObject({ enabled: z.boolean().default(true) }),
    };
    const withAutomation = (path: string) =>
      loadConfig({ path, env: {}, cwd: dir, automations: [playbooksOnly] });
    const legacy = write(
      'legacy-only.yml',
      'routing_keys: [all]\nansible: { playbooks_dir: /srv/playbooks }\nplugins: { translator: { name: rkname } }\n',
    );
    expect(withAutomation(legacy).sections.demo).toEqual({ enabled: false });
    // One it names runs beside its playbooks.
    const named = write('legacy-named.yml', 'routing_keys: [all]\ndemo: {}\n');
    expect(withAutomation(named).sections.demo).toEqual({ enabled: true });
    // A file with a section of this Loopabull's keeps the defaults.
    const current = write(
      'current.yml',
      'routing_keys: [all]\nansible: { playbooks_dir: /srv/playbooks }\nqueue: { name: q }\n',
    );
    expect(withAutomation(current).sections.demo).toEqual({ enabled: true });
    // 0.0.7's looper block marks a file written for it, whatever was added (a Redis elsewhere).
    const pointedElsewhere = write(
      'legacy-with-redis.yml',
      'plugins: { looper: { name: fedmsgrabbitmq } }\nredis: { url: redis://redis.example.org }\n',
    );
    expect(withAutomation(pointedElsewhere).sections.demo).toEqual({ enabled: false });
    expect(
      loadConfig({
        env: {},
        cwd: dir,
        automations: [playbooksOnly],
        systemPath: join(dir, 'none.yml'),
      }).sections.demo,
    ).toEqual({ enabled: true });
  });

  it('loads the file Fedora’s loopabull role rendered (loopabull.yml.j2)', () => {
    const path = write(
      'fedora.yml',
      `loglevel: info
plugins:
  looper:
    name: fedmsgrabbitmq
  translator:
    name: rkname
routing_keys:
  - org.fedoraproject.stg.buildsys.build.state.change
  - org.fedoraproject.prod.buildsys.build.state.change
ansible:
  playbooks_dir: /srv/loopabull-tasks/playbooks
  cfg_file_path: /etc/ansible/ansible.cfg
  playbook_cmd:  /usr/bin/ansible-playbook
`,
    );
    const config = load(path);
    expect(config.plugins.translator.name).toBe('rkname');
    expect(config.routing_keys).toHaveLength(2);
  });

  it('names the key to use for keys that moved: old READMEs, the loopabull role, the wshearn fork', () => {
    const path = write(
      'moved.yml',
      `plugin: fedmsg
path_translator: rkdirectory
ansible_cfg_path: /etc/ansible/ansible.cfg
ansible:
  inventory_path: /etc/ansible/hosts
`,
    );
    for (const line of [
      /moved\.yml:\n/,
      /\n {2}- unknown key plugin: use plugins\.looper\.name/,
      /\n {2}- unknown key path_translator: use plugins\.translator\.name\n/,
      /\n {2}- unknown key ansible_cfg_path: use ansible\.cfg_file_path/,
      /\n {2}- unknown key ansible\.inventory_path: use the inventory setting of the ansible\.cfg/,
    ])
      expect(() => load(path)).toThrow(line);
  });

  it('refuses bus.tls with an amqp:// URL, and a client certificate without its key', () => {
    expect(() =>
      load(write('tls-plain.yml', "bus: { url: 'amqp://b', tls: { ca_cert: /ca.pem } }\n")),
    ).toThrow(
      /bus\.tls: is set, but bus\.url is amqp:\/\/, which does not use TLS: make it amqps:\/\//,
    );
    expect(() =>
      load(write('no-key.yml', "bus: { url: 'amqps://b', tls: { certfile: /me.crt } }\n")),
    ).toThrow(/bus\.tls\.keyfile: is needed with bus\.tls\.certfile/);
    expect(() =>
      load(write('no-cert.yml', "bus: { url: 'amqps://b', tls: { keyfile: /me.key } }\n")),
    ).toThrow(/bus\.tls\.certfile: is needed with bus\.tls\.keyfile/);
    expect(
      load(write('tls.yml', "bus: { url: 'amqps://b', tls: { ca_cert: /ca.pem } }\n")).bus.tls
        .ca_cert,
    ).toBe('/ca.pem');
  });

  it('ignores the 0.0.7 looper block when the file has a bus section', () => {
    const path = write(
      'legacy-and-bus.yml',
      `bus: { url: 'amqp://new:pw@bus.example.org', queue: mine }
plugins:
  looper:
    rabbitmq: { host: old.example.org, port: 5671 }
    tls: { ca_cert: /ca.pem }
    channel_queue: { name: workers }
`,
    );
    const { bus } = load(path);
    expect(bus.url).toBe('amqp://new:pw@bus.example.org');
    expect(bus.queue).toBe('mine');
    expect(bus.tls.ca_cert).toBeNull();
  });

  it('resolves relative paths against the file', () => {
    const path = write('paths.yml', 'ansible:\n  playbooks_dir: pb\n');
    expect(load(path).ansible.playbooks_dir).toBe(join(dir, 'pb'));
  });

  it('resolves a relative LOOPABULL_PLAYBOOKS_DIR against the working directory, not the file', () => {
    mkdirSync(join(dir, 'etc'));
    const path = write('etc/paths.yml', 'ansible:\n  playbooks_dir: pb\n');
    expect(load(path, { LOOPABULL_PLAYBOOKS_DIR: 'mine' }).ansible.playbooks_dir).toBe(
      join(dir, 'mine'),
    );
  });

  it('refuses a --config that does not exist', () => {
    expect(() => load(join(dir, 'nope.yml'))).toThrow(/nope\.yml does not exist/);
  });

  it('says a config path that is a directory is one, not that it is bad YAML', () => {
    const path = join(dir, 'conf.d');
    mkdirSync(path);
    expect(() => load(path)).toThrow(ConfigError);
    expect(() => load(path)).toThrow(/conf\.d cannot be read: it is a directory/);
    expect(() => load(path)).not.toThrow(/not valid YAML/);
    expect(() => loadConfig({ env: { LOOPABULL_CONFIG: path }, cwd: dir })).toThrow(
      /conf\.d cannot be read: it is a directory/,
    );
  });
});
