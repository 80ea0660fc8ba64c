// The releng-hardware proof of concept's HTTP side, rewritten in Node for the bench: its Flask app
// answered `/machines` with one HGETALL and `json.dumps(indent=2)` per request and
// `/machines/<id>` with one HGET. No cache, no framework work beyond routing.
// Usage: node poc-server.mjs PORT REDIS_URL; prints "ready" when listening.
import { createServer } from 'node:http';
import { Redis } from 'ioredis';

const [port, redisUrl] = process.argv.slice(2);
const redis = new Redis(redisUrl);

const server = createServer(async (req, res) => {
  try {
    if (req.url === '/machines') {
      const all = await redis.hgetall('machines');
      const list = Object.entries(all).map(([id, lastseen]) => {
        const at = id.indexOf(':');
        return { machine: id.slice(at + 1), datacenter: id.slice(0, at), lastseen };
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(list, null, 2));
      return;
    }
    if (req.url?.startsWith('/machines/')) {
      const value = await redis.hget('machines', decodeURIComponent(req.url.slice(10)));
      if (value === null) {
        res.writeHead(404).end('unknown machine');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
      return;
    }
    res.writeHead(404).end();
  } catch (err) {
    res.writeHead(500).end(String(err));
  }
});
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => {
  server.close();
  redis.disconnect();
});
