import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import amqp from 'amqplib';
import { freePort } from './ports.js';
import { tempDir } from './temp.js';
import { tlsClientOptions, type TestCertificates } from './tls.js';
import { waitFor } from './wait.js';

export interface RabbitInstance {
  /** guest/guest on 127.0.0.1 and this instance's port. */
  url: string;
  port: number;
  /** With `tls`: amqps, guest/guest, on the TLS listener's port. */
  tlsUrl: string | null;
  /**
   * With `tls`: a virtual host that only the client certificate's user (its CN) may use, and
   * only by logging in with the certificate (SASL EXTERNAL): that user has no password.
   */
  certificateVhost: string | null;
  node: string;
  /** Shuts the node down (SIGTERM: a clean broker stop) and waits for the process to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory: durable queues and persistent messages are back. */
  start(): Promise<void>;
  /** Stops it and removes its files. */
  close(): Promise<void>;
}

/** Debian and Fedora install the server scripts here; the directory above them holds the plugins. */
const SERVER_SCRIPT = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

/**
 * A private RabbitMQ node on free ports, for tests that stop or restart the broker; the machine's
 * shared broker is never touched.
 *
 * Start-up cost is kept down (about 2.5 s instead of 4.5 s here): the node only sees the Erlang
 * applications the broker needs, since loading every bundled plugin's code dominates a boot, and its
 * configuration is an Erlang term file, which skips the cuttlefish schema translation. It runs with
 * an open stdin pipe: if the test process dies without stopping it, the pipe closes and the Erlang
 * VM exits with it.
 */
export async function startRabbit(
  opts: {
    /** More settings of the `rabbit` application, as Erlang terms: `{consumer_timeout, 1000}`. */
    rabbit?: string;
    /**
     * Also listen with TLS, on another free port, with these certificates. Clients must present a
     * certificate the CA signed, as on brokers that authenticate by client certificate.
     */
    tls?: TestCertificates;
  } = {},
): Promise<RabbitInstance> {
  if (!existsSync(SERVER_SCRIPT))
    throw new Error(`${SERVER_SCRIPT} not found: install rabbitmq-server`);
  const [port, distPort, tlsPort] = await distinctFreePorts(3);
  const dir = tempDir('rabbitmq');
  const node = `lbtest-${randomBytes(4).toString('hex')}@localhost`;
  const settings = [opts.rabbit, opts.tls && tlsSettings(dir, tlsPort!, opts.tls)].filter(Boolean);
  const plugins = opts.tls ? [CERTIFICATE_LOGIN_PLUGIN] : [];
  const home = prepareHome(dir, port!, settings.join(', '), plugins);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dir, // the Erlang cookie lives here, apart from the system node's
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_SCRIPTS_DIR: join(home, 'sbin'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.config'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
    // Makes the script exec the VM instead of wrapping it in a shell: SIGTERM reaches the broker
    // directly, and the VM reads stdin, whose end (our death) stops it.
    RABBITMQ_ALLOW_INPUT: 'true',
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  const tlsUrl = opts.tls ? `amqps://guest:guest@127.0.0.1:${tlsPort}` : null;
  let child: ChildProcess | null = null;
  let output = '';

  const start = async () => {
    if (child) return;
    output = '';
    const proc = spawn(SERVER_SCRIPT, [], { env, cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    child = proc;
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    await waitFor(
      async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) {
          throw new Error(
            `rabbitmq-server exited (${proc.exitCode ?? proc.signalCode}):\n${output}`,
          );
        }
        const conn = await amqp.connect(url, { timeout: 1000 });
        await conn.close();
        if (opts.tls) {
          const secure = await amqp.connect(tlsUrl!, {
            timeout: 1000,
            ...tlsClientOptions(opts.tls),
          });
          await secure.close();
        }
        return true;
      },
      { timeout: START_TIMEOUT_MS, interval: 50, what: `rabbitmq-server ${node} on port ${port}` },
    ).catch(async (err: unknown) => {
      await stop();
      throw err;
    });
  };

  const stop = async () => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  const close = async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  };

  await start();
  const certificateVhost = opts.tls ? CERTIFICATE_VHOST : null;
  return { url, port: port!, tlsUrl, certificateVhost, node, stop, start, close };
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** An Erlang string literal: the paths come from tempDir, but a quote or backslash would break the term. */
const erlangString = (s: string) => JSON.stringify(s);

const CERTIFICATE_LOGIN_PLUGIN = 'rabbitmq_auth_mechanism_ssl';
const CERTIFICATE_VHOST = 'by-certificate';

/** RabbitMQ's stored form of a password (rabbit_password_hashing_sha256): salt, then SHA-256 of salt and password. */
function passwordHash(password: string): string {
  const salt = randomBytes(4);
  const digest = createHash('sha256').update(salt).update(password, 'utf8').digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

/**
 * The TLS listener, certificate logins (the certificate's CN is the user), and the users the
 * node boots with: guest as always, and the client certificate's user, with no password, on a
 * virtual host of its own.
 */
function tlsSettings(dir: string, port: number, certs: TestCertificates): string {
  const certUser = certs.clientName;
  const definitions = join(dir, 'definitions.json');
  const all = { configure: '.*', write: '.*', read: '.*' };
  const user = (name: string, password_hash: string) => ({
    name,
    password_hash,
    hashing_algorithm: 'rabbit_password_hashing_sha256',
    tags: [],
  });
  writeFileSync(
    definitions,
    JSON.stringify({
      users: [user('guest', passwordHash('guest')), user(certUser, '')],
      vhosts: [{ name: '/' }, { name: CERTIFICATE_VHOST }],
      permissions: [
        { user: 'guest', vhost: '/', ...all },
        { user: certUser, vhost: CERTIFICATE_VHOST, ...all },
      ],
    }),
  );
  return (
    `{ssl_listeners, [{"127.0.0.1", ${port}}]}, {ssl_options, [` +
    `{cacertfile, ${erlangString(certs.ca)}}, {certfile, ${erlangString(certs.serverCert)}}, ` +
    `{keyfile, ${erlangString(certs.serverKey)}}, {verify, verify_peer}, {fail_if_no_peer_cert, true}]}, ` +
    `{auth_mechanisms, ['PLAIN', 'AMQPLAIN', 'EXTERNAL']}, {ssl_cert_login_from, common_name}, ` +
    `{load_definitions, ${erlangString(definitions)}}`
  );
}

/**
 * Writes the node's files and returns a RabbitMQ home whose `plugins` directory links only the
 * applications the broker depends on (the closure of `rabbit.app`'s `applications`).
 */
function prepareHome(dir: string, port: number, rabbitSettings: string, plugins: string[]): string {
  const realHome = dirname(dirname(realpathSync(SERVER_SCRIPT)));
  const realPlugins = join(realHome, 'plugins');
  const home = join(dir, 'home');
  mkdirSync(join(home, 'sbin'), { recursive: true });
  mkdirSync(join(home, 'plugins'));
  for (const script of ['rabbitmq-env', 'rabbitmq-defaults']) {
    symlinkSync(join(realHome, 'sbin', script), join(home, 'sbin', script));
  }
  const versioned = new Map<string, string>();
  for (const entry of readdirSync(realPlugins)) {
    const name = entry.replace(/-[0-9][^-]*$/, '');
    if (existsSync(join(realPlugins, entry, 'ebin', `${name}.app`))) versioned.set(name, entry);
  }
  const needed = new Set<string>();
  const visit = (app: string) => {
    const entry = versioned.get(app);
    if (!entry || needed.has(app)) return; // not a plugin: an OTP application, found in the Erlang root
    needed.add(app);
    const spec = readFileSync(join(realPlugins, entry, 'ebin', `${app}.app`), 'utf8');
    const deps = /\{\s*applications\s*,\s*\[([^\]]*)\]/.exec(spec)?.[1] ?? '';
    for (const dep of deps.split(',')) visit(dep.trim());
  };
  for (const app of ['rabbit', ...plugins]) visit(app);
  if (!needed.has('rabbit')) throw new Error(`no rabbit application under ${realPlugins}`);
  for (const app of needed)
    symlinkSync(join(realPlugins, versioned.get(app)!), join(home, 'plugins', versioned.get(app)!));

  const cookie = join(dir, '.erlang.cookie');
  writeFileSync(cookie, randomBytes(16).toString('hex').toUpperCase());
  chmodSync(cookie, 0o400);
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  writeFileSync(join(dir, 'enabled_plugins'), `[${plugins.join(', ')}].\n`);
  writeFileSync(
    join(dir, 'rabbitmq.config'),
    `[{rabbit, [{tcp_listeners, [{"127.0.0.1", ${port}}]}${rabbitSettings ? `, ${rabbitSettings}` : ''}]}].\n`,
  );
  return home;
}
