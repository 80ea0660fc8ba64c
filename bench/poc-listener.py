"""The releng-hardware proof of concept's listen_to_pulse.py, as docs/originals.md (C.2, C.3)
records it: a kombu consumer (what mozillapulse 1.3 is built on) on a non-durable, auto-deleted
queue, whose callback HSETs the machine's receive time and acks, one message at a time. The
bench's comparator for the hardware last-seen row. Exits after COUNT messages.
Usage: python3 poc-listener.py AMQP_URL REDIS_URL EXCHANGE QUEUE COUNT
(Debian: python3-kombu, python3-redis)."""
import datetime
import sys

import kombu
import redis

amqp_url, redis_url, exchange, queue_name, count = sys.argv[1:6]
count = int(count)
seen = 0


class Listener:
    def __init__(self):
        self.r = redis.StrictRedis.from_url(redis_url)

    def handle_message(self, body, msg):
        global seen
        seen += 1
        workerGroup = body.get("workerGroup")
        workerId = body.get("workerId")
        if not workerGroup or not workerId:
            print("DEBUG: This message is missing workerGroup or workerId")
            return
        print("blipity bloop %s:%s" % (workerGroup, workerId))
        lastseen = datetime.datetime.utcnow().isoformat()
        self.r.hset("machines", workerGroup + ":" + workerId, lastseen)
        msg.ack()


listener = Listener()
with kombu.Connection(amqp_url) as conn:
    queue = kombu.Queue(
        queue_name,
        exchange=kombu.Exchange(exchange, type="topic", passive=True),
        routing_key="primary.#",
        durable=False,
        auto_delete=True,
    )
    with conn.Consumer(queue, callbacks=[listener.handle_message]):
        while seen < count:
            conn.drain_events()
