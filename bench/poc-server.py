"""The releng-hardware proof of concept's webserver.py, as docs/originals.md (C.5) records it:
Flask, one HGETALL and json.dumps(indent=2) per GET /machines, one HGET per GET /machines/<id>,
served by Flask's own threaded server as the PoC was. The bench's comparator for the /machines
rows. Usage: python3 poc-server.py PORT REDIS_URL (Debian: python3-flask, python3-redis)."""
import json
import sys

import redis
from flask import Flask, Response

port, redis_url = int(sys.argv[1]), sys.argv[2]
app = Flask(__name__)
store = redis.StrictRedis.from_url(redis_url, decode_responses=True)


@app.route("/machines")
def machines():
    values = []
    for entry, lastseen in store.hgetall("machines").items():
        datacenter, _, machine = entry.partition(":")
        values.append({"machine": machine, "datacenter": datacenter, "lastseen": lastseen})
    return Response(json.dumps(values, indent=2), mimetype="application/json")


@app.route("/machines/<machine>")
def machine(machine):
    lastseen = store.hget("machines", machine)
    if lastseen is None:
        return "unknown machine", 404
    return Response(json.dumps(lastseen), mimetype="application/json")


app.run(host="127.0.0.1", port=port)
