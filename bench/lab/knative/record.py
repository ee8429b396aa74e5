"""Records what a real Knative queue-proxy exports while it fronts a real gunicorn: run inside a network namespace
of its own (record-queue-proxy.sh makes one), because the queue-proxy hard-codes :8012, :8022, :9090 and :9091.

It starts gunicorn (Debian's python3-gunicorn, the lab's Flask app) on 127.0.0.1:8080 and the queue-proxy in front
of it with the environment Knative's revision reconciler gives it, drives a closed loop of N keep-alive clients
through :8012 for each level, scrapes :9091/metrics a few times per level and once more after traffic stops, and
writes each scrape, cut down to the request-metric families, with a run.json that says when and under what load.

  python3 record.py QUEUE_BINARY OUT_DIR otel|opencensus
"""
import http.client
import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time

APP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "app")
CONTAINER_CONCURRENCY = 4
WORKERS, THREADS = 2, 4
CPU_MS, IO_MS = 2, 20
# Closed-loop clients per level: below, at and above containerConcurrency (4), then no traffic.
LEVELS = [1, 2, 4, 8]
LEVEL_SECONDS = 60
SCRAPE_SECONDS = 20
# Two minutes without traffic: a one-minute rate() window then holds only idle scrapes.
IDLE_SECONDS = 120
# The families pytuner reads or may read; the rest (go_*, process_*, body sizes) is left out to keep the files small.
KEEP = {
    "otel": ("kn_serving_", "http_server_request_duration_seconds", "target_info"),
    "opencensus": ("revision_app_request", "revision_request", "revision_queue_depth"),
}

IDENTITY = {
    "SERVING_NAMESPACE": "shop",
    "SERVING_SERVICE": "hello",
    "SERVING_CONFIGURATION": "hello",
    "SERVING_REVISION": "hello-00001",
    "SERVING_POD": "hello-00001-deployment-7d4b9c-x2x7q",
    "HOSTNAME": "hello-00001-deployment-7d4b9c-x2x7q",
    "SERVING_POD_IP": "10.244.0.17",
    "HOST_IP": "10.0.0.4",
    "SYSTEM_NAMESPACE": "knative-serving",
}
SERVING = {
    "QUEUE_SERVING_PORT": "8012",
    "QUEUE_SERVING_TLS_PORT": "8112",
    "USER_PORT": "8080",
    "CONTAINER_CONCURRENCY": str(CONTAINER_CONCURRENCY),
    "REVISION_TIMEOUT_SECONDS": "300",
    "REVISION_RESPONSE_START_TIMEOUT_SECONDS": "0",
    "REVISION_IDLE_TIMEOUT_SECONDS": "0",
    "SERVING_LOGGING_CONFIG": "",
    "SERVING_LOGGING_LEVEL": "info",
    "SERVING_READINESS_PROBE": '{"tcpSocket":{"port":8080,"host":"127.0.0.1"},"successThreshold":1}',
    "ENABLE_HTTP2_AUTO_DETECTION": "false",
    "ENABLE_HTTP_FULL_DUPLEX": "false",
    "ENABLE_MULTI_CONTAINER_PROBES": "false",
}
# Knative ≥ 1.19: request metrics only with config-observability request-metrics-protocol: prometheus.
OTEL = {"OBSERVABILITY_CONFIG": '{"tracing":{},"metrics":{},"runtime":{},"requestMetrics":{"protocol":"prometheus"}}'}
# Knative 1.18: OpenCensus, Prometheus on :9091 by default; METRICS_DOMAIN is required by the exporter.
OPENCENSUS = {
    "SERVING_REQUEST_METRICS_BACKEND": "prometheus",
    "SERVING_REQUEST_METRICS_REPORTING_PERIOD_SECONDS": "5",
    "METRICS_DOMAIN": "knative.dev/internal/serving",
    "TRACING_CONFIG_BACKEND": "none",
    "ENABLE_PROFILING": "false",
}


def wait_for_port(port, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing listens on :{port} after {seconds} s")


def scrape(kind):
    conn = http.client.HTTPConnection("127.0.0.1", 9091, timeout=10)
    conn.request("GET", "/metrics")
    body = conn.getresponse().read().decode()
    conn.close()
    keep = KEEP[kind]
    lines = []
    for line in body.splitlines():
        name = line.split(" ")[2] if line.startswith("# ") and len(line.split(" ")) > 2 else line.split("{")[0].split(" ")[0]
        if name.startswith(keep) and not name.startswith("revision_go_"):
            lines.append(line)
    return "\n".join(lines) + "\n"


class Load:
    """N clients, each one keep-alive connection sending the next request as soon as the last answered (a closed loop)."""

    def __init__(self, clients):
        self.stop = threading.Event()
        self.counts = [0] * clients
        self.errors = [0] * clients
        self.threads = [threading.Thread(target=self.client, args=(i,), daemon=True) for i in range(clients)]

    def client(self, i):
        conn = http.client.HTTPConnection("127.0.0.1", 8012, timeout=30)
        while not self.stop.is_set():
            try:
                conn.request("GET", f"/work?cpu={CPU_MS}&io={IO_MS}", headers={"Host": "hello.shop.example.com"})
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    self.counts[i] += 1
                else:
                    self.errors[i] += 1
            except OSError:
                self.errors[i] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", 8012, timeout=30)
        conn.close()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()


def main():
    queue, out, kind = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(out, exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", **IDENTITY, **SERVING, **(OTEL if kind == "otel" else OPENCENSUS)}
    gunicorn = subprocess.Popen(
        ["/usr/bin/python3", "-m", "gunicorn", "--bind", "127.0.0.1:8080", "--workers", str(WORKERS), "--threads", str(THREADS), "--worker-class", "gthread", "wsgi:app"],
        cwd=APP_DIR, stdout=subprocess.DEVNULL, stderr=open(os.path.join(out, "..", f".gunicorn-{kind}.log"), "w"),
    )
    proxy = subprocess.Popen([queue], env=env, stdout=open(os.path.join(out, "..", f".queue-{kind}.log"), "w"), stderr=subprocess.STDOUT)
    scrapes = []
    try:
        wait_for_port(8080)
        wait_for_port(8012)
        wait_for_port(9091)
        time.sleep(2)
        started = time.monotonic()
        served = 0
        ticks = 0

        def record(phase, clients, served):
            n = len(scrapes) + 1
            name = f"{n:02d}.prom"
            with open(os.path.join(out, name), "w") as f:
                f.write(scrape(kind))
            # `at`: when the scrape was due, the timestamp Prometheus gives a scrape; `seconds`: when it was answered.
            scrapes.append({"file": name, "at": ticks * SCRAPE_SECONDS, "seconds": round(time.monotonic() - started, 1), "phase": phase, "clients": clients, "requestsSoFar": served})


        def scrape_on_schedule(phase, clients, counted):
            # Scrapes at fixed offsets from the start, so that one-minute windows line up with the levels.
            nonlocal ticks
            ticks += 1
            time.sleep(max(0.0, started + ticks * SCRAPE_SECONDS - time.monotonic()))
            record(phase, clients, counted())

        record("before traffic", 0, served)
        for clients in LEVELS:
            with Load(clients) as load:
                for s in range(LEVEL_SECONDS // SCRAPE_SECONDS):
                    scrape_on_schedule("load", clients, lambda: served + sum(load.counts))
            served += sum(load.counts)
            if sum(load.errors) > 0:
                print(f"{clients} clients: {sum(load.errors)} errors", file=sys.stderr)
        for s in range(IDLE_SECONDS // SCRAPE_SECONDS):
            scrape_on_schedule("no traffic", 0, lambda: served)
    finally:
        proxy.terminate()
        gunicorn.terminate()
        proxy.wait(timeout=60)
        gunicorn.wait(timeout=30)
    run = {
        "queueProxy": os.path.basename(os.path.dirname(queue)),
        "metrics": kind,
        "recordedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end",
        "containerConcurrency": CONTAINER_CONCURRENCY,
        "gunicorn": f"--workers {WORKERS} --threads {THREADS} --worker-class gthread",
        "request": {"cpuMs": CPU_MS, "ioMs": IO_MS},
        "load": f"closed loop, keep-alive, {LEVEL_SECONDS} s per level: {LEVELS} clients, then {IDLE_SECONDS} s without traffic; a scrape every {SCRAPE_SECONDS} s",
        "scrapes": scrapes,
    }
    with open(os.path.join(out, "run.json"), "w") as f:
        json.dump(run, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
