"""The lab's WSGI app (Flask): GET /work?cpu=MS&io=MS spends MS milliseconds of CPU in a pure-Python loop, then
waits MS milliseconds as a blocking I/O call would (time.sleep releases the GIL, as socket reads do)."""
import time

from flask import Flask, request

from burn import burn_cpu

app = Flask(__name__)


@app.get("/work")
def work():
    cpu_ms = float(request.args.get("cpu", "0"))
    io_ms = float(request.args.get("io", "0"))
    if cpu_ms > 0:
        burn_cpu(cpu_ms)
    if io_ms > 0:
        time.sleep(io_ms / 1000)
    return "ok\n"


@app.get("/healthz")
def healthz():
    return "ok\n"
