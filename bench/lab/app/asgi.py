"""The lab's ASGI app, without a framework (Debian's python3-uvicorn ships none): GET /work?cpu=MS&io=MS spends MS
milliseconds of CPU on the event loop (blocking it, as CPU work in an async handler does), then awaits
asyncio.sleep for MS milliseconds (an awaited I/O call). Handles the lifespan protocol so uvicorn and
gunicorn's UvicornWorker start it without warnings."""
import asyncio
from urllib.parse import parse_qs

from burn import burn_cpu


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    status = 404
    if scope["path"] == "/work":
        query = parse_qs(scope["query_string"].decode())
        cpu_ms = float(query.get("cpu", ["0"])[0])
        io_ms = float(query.get("io", ["0"])[0])
        if cpu_ms > 0:
            burn_cpu(cpu_ms)
        if io_ms > 0:
            await asyncio.sleep(io_ms / 1000)
        status = 200
    elif scope["path"] == "/healthz":
        status = 200
    body = b"ok\n" if status == 200 else b"not found\n"
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
