import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** How many connections it has taken so far. */
  accepted(): number;
  /** Traffic stops both ways and connections stay open: a frozen peer, not a closed one. */
  freeze(): void;
  thaw(): void;
  /**
   * Traffic stops both ways on the connections open now, which stay open, while new ones work:
   * a connection a NAT or firewall forgot, or a peer that froze and was replaced.
   */
  freezeOpen(): void;
  /**
   * When a client next sends `marker`, the server gets everything before it and the connection
   * breaks there, mid-write; new connections are refused until `restore`.
   */
  cutBefore(marker: string): void;
  /**
   * Once a client sends `marker`, the server still gets everything the client sends, but
   * nothing the server answers on that connection reaches the client: with `cut`, a request
   * that was carried out and never confirmed.
   */
  holdRepliesAfter(marker: string): void;
  /** Every connection breaks at once; new connections are refused until `restore`. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/**
 * A loopback proxy in front of a real server, to freeze the network between a client and the
 * server without touching the server itself.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let frozen = false;
  /** Connections are numbered as taken: `freezeOpen` froze those up to this one. */
  let frozenUpTo = 0;
  let accepted = 0;
  let cutMarker: Buffer | null = null;
  let replyMarker: Buffer | null = null;
  let refusing = false;
  const sockets = new Set<Socket>();
  /** Breaks every connection but `spare`, and refuses new ones until `restore`. */
  const breakAll = (spare?: Socket) => {
    refusing = true;
    for (const s of sockets) if (s !== spare) s.destroy();
  };
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    accepted += 1;
    const number = accepted;
    const stuck = () => number <= frozenUpTo;
    const upstream = createConnection(target);
    track(client);
    track(upstream);
    let holding = false;
    upstream.on('data', (chunk: Buffer) => {
      if (!frozen && !holding && !stuck()) client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => {
      if (stuck()) return;
      if (replyMarker && chunk.includes(replyMarker)) {
        replyMarker = null;
        holding = true;
      }
      const at = cutMarker ? chunk.indexOf(cutMarker) : -1;
      if (at < 0) {
        if (!frozen) upstream.write(chunk);
        return;
      }
      cutMarker = null;
      upstream.end(chunk.subarray(0, at));
      breakAll(upstream);
    });
    // A partition does not carry a close across either: the other side learns nothing.
    client.on('close', () => frozen || stuck() || upstream.writableEnded || upstream.destroy());
    upstream.on('close', () => frozen || stuck() || client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    accepted: () => accepted,
    freeze: () => void (frozen = true),
    thaw: () => void (frozen = false),
    freezeOpen: () => void (frozenUpTo = accepted),
    cutBefore: (marker) => void (cutMarker = Buffer.from(marker)),
    holdRepliesAfter: (marker) => void (replyMarker = Buffer.from(marker)),
    cut: () => breakAll(),
    restore: () => void (refusing = false),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
