import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp.js';

/** PEM file paths of a throwaway certificate authority and what it signed, made for one test run. */
export interface TestCertificates {
  dir: string;
  /** The CA that signed the server and client certificates. */
  ca: string;
  /** For 127.0.0.1 and localhost. */
  serverCert: string;
  serverKey: string;
  /** A client certificate, for brokers that ask for one. */
  clientCert: string;
  clientKey: string;
  /** The client certificate's CN: the user name a broker takes from it. */
  clientName: string;
}

const openssl = (cwd: string, args: string[]) =>
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

/** A new key `name`.key and, by `output`, a request or a self-signed certificate for CN=`name`. */
const newKey = (dir: string, name: string, output: string[]) =>
  openssl(dir, [
    ...['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`],
    ...['-keyout', `${name}.key`, ...output],
  ]);

const makeCa = (dir: string, name: string) =>
  newKey(dir, name, ['-x509', '-days', '1', '-out', `${name}.pem`]);

function signed(dir: string, name: string, ca: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  newKey(dir, name, ['-out', `${name}.csr`]);
  openssl(dir, [
    ...['x509', '-req', '-in', `${name}.csr`, '-days', '1', '-extfile', `${name}.ext`],
    ...['-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`],
  ]);
}

/**
 * A CA, and a server certificate for 127.0.0.1/localhost and a client certificate signed by it,
 * made with the `openssl` command in a new temporary directory: no key is ever committed, and
 * each call has its own CA, so a second call gives what a wrongly configured side would have.
 */
export function makeCertificates(): TestCertificates {
  const dir = tempDir('tls');
  makeCa(dir, 'test-ca');
  signed(
    dir,
    'server',
    'test-ca',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  const clientName = 'loopabull-test';
  signed(dir, clientName, 'test-ca', 'extendedKeyUsage=clientAuth\n');
  const file = (name: string) => join(dir, name);
  return {
    dir,
    ca: file('test-ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    clientCert: file(`${clientName}.pem`),
    clientKey: file(`${clientName}.key`),
    clientName,
  };
}

/** Socket options of a client that trusts the test CA and presents the client certificate. */
export function tlsClientOptions(certs: TestCertificates): {
  ca: Buffer[];
  cert: Buffer;
  key: Buffer;
} {
  return {
    ca: [readFileSync(certs.ca)],
    cert: readFileSync(certs.clientCert),
    key: readFileSync(certs.clientKey),
  };
}
