import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Binds a socket and never listens: connections get refused. Ends when its stdin does. */
const HOLD_UNLISTENED = `import socket, sys
s = socket.socket()
s.bind(('127.0.0.1', 0))
print(s.getsockname()[1], flush=True)
sys.stdin.read()`;

const holders: ChildProcess[] = [];

/**
 * A port of 127.0.0.1 that refuses connections (ECONNREFUSED) until `releaseClosedPorts()`, for
 * tests of a server that is down. Not freePort's, which another test file running beside this
 * one could take meanwhile (a server of its own on port 0), so that something would answer:
 * a socket of a child process holds it bound without listening (Node cannot), and no one else
 * can bind it. The child also ends with the test process (its stdin closes).
 */
export async function closedPort(): Promise<number> {
  const child = spawn('python3', ['-c', HOLD_UNLISTENED], { stdio: ['pipe', 'pipe', 'inherit'] });
  holders.push(child);
  child.stdin!.on('error', () => undefined);
  // Settled once: an exit after the port was read (the release) rejects nothing.
  return new Promise((resolve, reject) => {
    let said = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      said += chunk;
      if (said.endsWith('\n')) resolve(Number(said));
    });
    child.once('exit', (code) =>
      reject(new Error(`python3 holding a closed port exited with ${String(code)}`)),
    );
  });
}

/** Lets go of the ports closedPort() held (in afterAll). */
export async function releaseClosedPorts(): Promise<void> {
  await Promise.all(
    holders.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin!.end();
      await exited;
    }),
  );
}

export interface SilentServer {
  port: number;
  /** The next connection it takes (or the oldest it took that no call has had yet). */
  nextConnection(): Promise<Socket>;
  /** How many of its connections are open. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * A port of 127.0.0.1 that takes connections and never answers: to a client, a server whose
 * host froze or a blackholed address, without root's network tricks. A Redis client connects
 * and then waits for good for the answer to its ready check.
 */
export async function startSilentServer(): Promise<SilentServer> {
  const taken: Socket[] = [];
  const waiting: Array<(socket: Socket) => void> = [];
  const open = new Set<Socket>();
  const server = createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
    const waiter = waiting.shift();
    if (waiter) waiter(socket);
    else taken.push(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    nextConnection: () =>
      new Promise((resolve) => {
        const socket = taken.shift();
        if (socket) resolve(socket);
        else waiting.push(resolve);
      }),
    connections: () => open.size,
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
