import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { makeCertificates, removeTempDirs, tempDir } from '@test/support';
import { BusUnreachable, busSocketOptions } from './bus.js';
import { ConfigError } from './errors.js';

afterAll(removeTempDirs);
const certs = makeCertificates();
const dir = tempDir('bus');
type TlsFiles = Record<'ca_cert' | 'certfile' | 'keyfile', string | null>;
const tls: TlsFiles = { ca_cert: certs.ca, certfile: certs.clientCert, keyfile: certs.clientKey };
const text = (path: string) => readFileSync(path, 'utf8');

const options = (url: string, files: Partial<TlsFiles> = tls, source?: string) =>
  busSocketOptions({
    source,
    bus: {
      url,
      connect_timeout: 10,
      tls: { ca_cert: null, certfile: null, keyfile: null, ...files },
    },
  } as Parameters<typeof busSocketOptions>[0]);

describe('busSocketOptions', () => {
  it('logs in with the client certificate (EXTERNAL) when the URL has no password, as fedora-messaging does', () => {
    for (const url of [
      'amqps://broker.example.org/%2Fpubsub',
      'amqps://fedora:@broker.example.org',
    ]) {
      const opts = options(url);
      expect(opts.credentials?.mechanism).toBe('EXTERNAL');
      expect(opts.cert?.toString()).toBe(text(certs.clientCert));
      expect(opts.key?.toString()).toBe(text(certs.clientKey));
      expect(opts.ca?.map(String)).toEqual([text(certs.ca)]);
    }
  });

  it("logs in with the URL's user and password when it has one, presenting the certificate as well", () => {
    const opts = options('amqps://me:secret@broker.example.org');
    expect(opts.credentials).toMatchObject({
      mechanism: 'PLAIN',
      username: 'me',
      password: 'secret',
    });
    expect(opts.cert?.toString()).toBe(text(certs.clientCert));
  });

  it("reads the URL's %-escapes as UTF-8, as RabbitMQ's URI spec does (amqplib read Latin-1)", () => {
    const plain = (url: string) => options(url, {}).credentials;
    expect(plain('amqp://ops:p%C3%A4ssw%C3%B6rd%E2%82%AC@broker/')).toMatchObject({
      username: 'ops',
      password: 'pässwörd€',
    });
    expect(plain('amqp://ops%40site:p%40ss%3Aw%2Frd@broker/')).toMatchObject({
      password: 'p@ss:w/rd',
    });
    // Without a user, guest/guest, as amqplib has it; an escape that is not UTF-8, as amqplib read it.
    expect(plain('amqp://broker/')).toMatchObject({ username: 'guest', password: 'guest' });
    expect(plain('amqp://ops:caf%E9@broker/')).toMatchObject({ password: 'café' });
  });

  it('refuses a TLS file that cannot be read as a configuration error naming the key, the file and the fix', () => {
    const missing = join(dir, 'missing.pem');
    const refused = () =>
      options('amqps://broker.example.org', { keyfile: missing }, '/etc/loopabull/loopabull.yml');
    expect(refused).toThrow(ConfigError);
    expect(refused).toThrow(
      expect.objectContaining({
        message: `bus.tls.keyfile in /etc/loopabull/loopabull.yml: ${missing} cannot be read: it does not exist`,
        fix: "correct the path, or let the services' user read the file",
      }),
    );
    // A directory, with the built-in defaults and $AMQP_URL: said so, as for the config file.
    expect(() => options('amqps://broker.example.org', { ca_cert: dir })).toThrow(
      `bus.tls.ca_cert: ${dir} cannot be read: it is a directory`,
    );
  });

  it("refuses files OpenSSL cannot use as a configuration error: not PEM, or a key that is not the certificate's", () => {
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'not a certificate\n');
    expect(() =>
      options('amqps://b', { certfile: notPem }, '/etc/loopabull/loopabull.yml'),
    ).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        message:
          'bus.tls in /etc/loopabull/loopabull.yml: OpenSSL refuses its files: PEM routines: no start line',
      }),
    );
    const other = makeCertificates();
    expect(() => options('amqps://b', { ...tls, keyfile: other.clientKey })).toThrow(
      /^bus\.tls: OpenSSL refuses its files: .*key values mismatch/,
    );
  });

  it('leaves the login to the URL without a client certificate', () => {
    expect(
      options('amqps://broker.example.org', { certfile: null, keyfile: null }).credentials,
    ).toMatchObject({ mechanism: 'PLAIN', username: 'guest' });
  });
});

describe('BusUnreachable.fix', () => {
  const url = 'amqp://ops:secret@broker.example.org:5672/releng';
  const unreachable = (message: string) => new BusUnreachable(url, message, new Error(message));

  it('says to correct the login, not to start RabbitMQ, when the broker refused the password', () => {
    const err = unreachable(
      'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN."',
    );
    expect(err.fix).toBe(
      "correct the user and password in bus.url / $AMQP_URL (now amqp://ops:***@broker.example.org:5672/releng), or bus.tls when the client certificate is the login; the broker's log says why it refused",
    );
  });

  it('says how to create the virtual host and grant the user, when the broker refused to open it', () => {
    const err = unreachable('Expected ConnectionOpenOk; got <ConnectionClose channel:0>');
    expect(err.fix).toBe(
      "create the virtual host and let the user use it (rabbitmqctl add_vhost releng; rabbitmqctl set_permissions -p releng ops '.*' '.*' '.*'), or correct the virtual host in bus.url / $AMQP_URL (now amqp://ops:***@broker.example.org:5672/releng)",
    );
  });

  it('quotes a virtual host the shell would split, in the commands it gives', () => {
    const spaced = 'amqp://ops:secret@broker.example.org/team%20a%27s';
    const err = new BusUnreachable(
      spaced,
      'refused',
      new Error('Expected ConnectionOpenOk; got <ConnectionClose channel:0>'),
    );
    expect(err.fix).toContain(
      `rabbitmqctl add_vhost 'team a'\\''s'; rabbitmqctl set_permissions -p 'team a'\\''s' ops`,
    );
  });

  it('has none for a broker that did not answer: the caller says to start it or correct the URL', () => {
    expect(unreachable('connect ECONNREFUSED 127.0.0.1:5672').fix).toBeUndefined();
  });
});
