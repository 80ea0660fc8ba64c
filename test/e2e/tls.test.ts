/**
 * TLS to the bus and to Redis, as docs/configuration.md promises it (`amqps://` with `bus.tls`,
 * 0.0.7's looper `tls` block, `rediss://`), against a private RabbitMQ whose TLS listener asks for
 * a client certificate and a private Redis that listens with TLS only. The certificates are made
 * for this run by a throwaway CA; the processes trust it through NODE_EXTRA_CA_CERTS (Redis) and
 * `bus.tls.ca_cert` (the bus), as an operator's would.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import amqp from 'amqplib';
import {
  legacyConfig,
  makeCertificates,
  removeTempDirs,
  runCli,
  startPart,
  startCli,
  startRabbit,
  startRedis,
  tempDir,
  testConfig,
  tlsClientOptions,
  undoAfterEach,
  waitFor,
  writeAutomation,
  type RabbitInstance,
  type RedisInstance,
  type TestCertificates,
} from '@test/support';

const TOPIC = 'org.example.tls';

let certs: TestCertificates;
/** From a CA of their own, which signed nothing the servers use. */
let otherCerts: TestCertificates;
let rabbit: RabbitInstance;
let redis: RedisInstance;
beforeAll(async () => {
  [certs, otherCerts] = [makeCertificates(), makeCertificates()];
  [rabbit, redis] = await Promise.all([startRabbit({ tls: certs }), startRedis({ tls: certs })]);
});
afterAll(async () => {
  await Promise.all([rabbit?.close(), redis?.stop()]);
  removeTempDirs();
});
const undo = undoAfterEach();

const escaped = (text: string) => text.replaceAll('.', '\\.');

/** Where the broker's TLS listener is, as the redacted URLs in logs and errors show it. */
const tlsHost = () => new URL(rabbit.tlsUrl!).host;
/**
 * The broker's virtual host for the client certificate's user, without credentials: a client
 * gets in only by logging in with its certificate (as fedora-messaging's public broker wants).
 */
const certificateUrl = () => `amqps://${tlsHost()}/${encodeURIComponent(rabbit.certificateVhost!)}`;

/**
 * A test config on the private TLS broker (logging in with the client certificate) and Redis;
 * `tls` replaces the client's files.
 */
function tlsConfig({
  tls = {},
  redisUrl = redis.url,
  busUrl = certificateUrl(),
}: { tls?: Record<string, string | null>; redisUrl?: string; busUrl?: string } = {}) {
  return testConfig({
    overrides: {
      loglevel: 'debug',
      redis: { url: redisUrl },
      bus: {
        url: busUrl,
        tls: { ca_cert: certs.ca, certfile: certs.clientCert, keyfile: certs.clientKey, ...tls },
      },
    },
  });
}

/** What `loopabull doctor` says to do about one of its checks (`bus`, `redis`). */
async function doctorFix(configPath: string, check = 'bus'): Promise<string | undefined> {
  const res = await runCli(['doctor', '--json', '--config', configPath], { env: trustingRedis() });
  const checks = JSON.parse(res.stdout) as Array<{ name: string; fix?: string }>;
  return checks.find((c) => c.name === check)?.fix;
}

/** The processes trust the test CA for Redis, as `rediss://` has no setting of its own for it. */
const trustingRedis = () => ({ NODE_EXTRA_CA_CERTS: certs.ca });

/**
 * Handlers: TOPIC's publishes a follow-up event with the body it got, as `ctx.publish` does over
 * the worker's own bus connection; the follow-up's writes its body to the file returned.
 */
function relayingHandlers(playbooksDir: string): string {
  const out = join(tempDir('tls-out'), 'followup.json');
  writeAutomation(
    playbooksDir,
    `${TOPIC}.mjs`,
    `export default (event, ctx) => ctx.publish('${TOPIC}.followup', { seen: event.body });\n`,
  );
  writeAutomation(
    playbooksDir,
    `${TOPIC}.followup.mjs`,
    `import { writeFileSync } from 'node:fs';
export default (event) => { writeFileSync(${JSON.stringify(out)}, JSON.stringify(event.body)); };
`,
  );
  return out;
}

describe('over TLS', () => {
  it('runs a message published over amqps, logged in by its client certificate, through Redis over rediss, and its handler publishes over amqps', async () => {
    const config = tlsConfig();
    const out = relayingHandlers(config.ansible.playbooks_dir);
    await startPart('looper', config, undo, [], trustingRedis());
    await startPart('worker', config, undo, [], trustingRedis());

    const body = { build: 42, over: 'tls' };
    const sent = await runCli(
      ['publish', TOPIC, '--body', JSON.stringify(body), '--config', config.configPath],
      { env: trustingRedis() },
    );
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    await waitFor(() => existsSync(out), { what: 'the follow-up handler to run' });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ seen: body });
  });

  it('consumes over amqps with a Loopabull 0.0.7 file: its tls block, rabbitmq.port and exchange.name', async () => {
    const legacy = legacyConfig(
      {
        host: '127.0.0.1',
        port: Number(new URL(rabbit.tlsUrl!).port),
        virtual_host: rabbit.certificateVhost!,
        tls: { ca_cert: certs.ca, certfile: certs.clientCert, keyfile: certs.clientKey },
      },
      TOPIC,
      { redisUrl: redis.url },
    );
    const looper = await startPart('looper', legacy, undo, [], trustingRedis());
    // 0.0.7 logged in with the certificate when it had a tls block, whatever its credentials.
    expect(looper.output()).toContain(`bus=${certificateUrl()}`);

    const model = await amqp.connect(certificateUrl(), {
      ...tlsClientOptions(certs),
      credentials: amqp.credentials.external(),
    });
    undo(() => model.close());
    const ch = await model.createConfirmChannel();
    const id = `legacy-${legacy.queue}`;
    ch.publish(legacy.exchange, TOPIC, Buffer.from('{"n":1}'), { messageId: id, persistent: true });
    await ch.waitForConfirms();
    await looper.waitForOutput(new RegExp(`enqueued topic=${escaped(TOPIC)} job_id=${id}`));
  });

  it('says which broker refused a certificate from another CA, and keeps retrying', async () => {
    const config = tlsConfig({ tls: { ca_cert: otherCerts.ca }, busUrl: rabbit.tlsUrl! });
    const looper = startCli(['looper', '--config', config.configPath], { env: trustingRedis() });
    undo(() => looper.stop());
    const host = escaped(tlsHost());
    await looper.waitForOutput(
      new RegExp(
        `cannot connect to the bus.*url=amqps://guest:\\*\\*\\*@${host}.*self-signed certificate`,
      ),
    );
    // Only the first failure is a warning; each retry after it is a debug line.
    await looper.waitForOutput(/bus connection still failing/);
    expect(looper.child.exitCode).toBeNull();

    const publish = await runCli(
      ['publish', TOPIC, '--body', '{}', '--config', config.configPath],
      { env: trustingRedis() },
    );
    expect(publish.code).toBe(1);
    expect(publish.stderr).toMatch(
      new RegExp(
        `cannot reach the bus at amqps://guest:\\*\\*\\*@${host}.*self-signed certificate`,
      ),
    );
  });

  it('is refused by a broker that asks for a client certificate when none is configured', async () => {
    const config = tlsConfig({ tls: { certfile: null, keyfile: null }, busUrl: rabbit.tlsUrl! });
    const publish = await runCli(['publish', TOPIC, '--body', '{}', '--config', config.configPath]);
    expect(publish.code).toBe(1);
    expect(publish.stderr).toMatch(/cannot reach the bus at amqps:.*certificate required/);
    expect(await doctorFix(config.configPath)).toBe(
      'the broker asks for a client certificate: set bus.tls.certfile and bus.tls.keyfile',
    );
  });

  it("says to name the broker's CA, not to start RabbitMQ, when its certificate is not trusted", async () => {
    const config = tlsConfig({ tls: { ca_cert: otherCerts.ca }, busUrl: rabbit.tlsUrl! });
    expect(await doctorFix(config.configPath)).toMatch(
      /^give the CA that signed the broker's certificate as bus\.tls\.ca_cert/,
    );
  });

  it('says which Redis presented a certificate it does not trust, keeps retrying, and takes jobs once the certificate is right', async () => {
    // A Redis of its own, whose certificate comes from the other CA until the test replaces it.
    const wrong = await startRedis({ tls: otherCerts });
    undo(() => wrong.stop());
    const config = tlsConfig({ redisUrl: wrong.url });
    const worker = startCli(['worker', '--config', config.configPath], { env: trustingRedis() });
    undo(() => worker.stop());
    const url = escaped(wrong.url);
    await worker.waitForOutput(new RegExp(`queue error redis=${url} error=.*certificate`));
    expect(worker.child.exitCode).toBeNull();
    expect(await doctorFix(config.configPath, 'redis')).toMatch(
      /^trust the CA that signed Redis's certificate: NODE_EXTRA_CA_CERTS=/,
    );

    await wrong.configure({ 'tls-cert-file': certs.serverCert, 'tls-key-file': certs.serverKey });
    await worker.waitForOutput(/taking jobs/);
  });

  it('says that a Redis asking for a client certificate must not, as Loopabull presents none', async () => {
    const asking = await startRedis({ tls: certs });
    undo(() => asking.stop());
    await asking.configure({ 'tls-auth-clients': 'yes' });
    const config = tlsConfig({ redisUrl: asking.url });
    expect(await doctorFix(config.configPath, 'redis')).toMatch(
      /^if this Redis asks for client certificates \(tls-auth-clients yes, its default with TLS\), set tls-auth-clients no/,
    );
  });
});
