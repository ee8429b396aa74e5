/**
 * @module The discrete-event simulation behind pytuner's ground truth: requests through a platform (concurrency limit,
 * queue, autoscaler) into gunicorn workers on an instance with N vCPU.
 *
 * What it models, and why:
 * - The GIL: the threads of one worker process share one core for their CPU time (processor sharing, as CPython
 *   switches the GIL every 5 ms); worker processes run in parallel, on at most `vcpus` cores (shared equally when
 *   more workers than cores want CPU). I/O waits release the GIL and take no core.
 * - gunicorn sync workers (`threads: 1`): a worker serves one request at a time, I/O included; a request waits in the
 *   listen backlog until a worker is idle, so the load spreads evenly.
 * - gunicorn gthread workers (`threads > 1`): a keep-alive connection stays with the worker that accepted it, and
 *   connections that arrive together are accepted by the same worker (it loops on accept before the others wake). The
 *   spread over workers is uneven: measured with gunicorn 20.1 and 60 ms I/O requests, 2 workers × 4 threads with 8
 *   keep-alive connections served 63 req/s (one worker's throughput) and 2 × 16 served 128 req/s. Requests beyond a
 *   worker's threads wait for one of its threads even when another worker is idle.
 * - The platform: at most `containerConcurrency` requests in flight per instance, the rest wait in a FIFO queue
 *   (Knative's activator / queue-proxy; Cloud Run's pending queue); new requests go to the ready instance with the fewest
 *   in flight; an autoscaler sizes the instances to in-flight / target every tick, Knative KPA style, with a panic window.
 */
import { Fifo, MinHeap } from './heap.ts';
import { bucketIndex, exactQuantile, LATENCY_BUCKETS } from './histogram.ts';
import type { Uniform } from './random.ts';
import { sampler, stream } from './random.ts';
import type { ClosedLoad, OpenLoad, PlatformParams, SimParams, SimRun, SimStep, SimSummary } from './types.ts';

/**
 * Connections that reach a gthread worker within this long of its last accept are accepted by that same worker: the
 * listening socket is still readable when it returns to its poll loop, before the other workers' polls wake up.
 */
const ACCEPT_BURST_SECONDS = 0.001;

/** A completion within this long of the predicted time counts as now (float rounding of the processor-sharing clock). */
const TIME_EPSILON = 1e-9;

/** Stream ids: one random stream per purpose keeps request sizes identical across configurations (common random numbers). */
const STREAM_SIZES = 1;
const STREAM_ARRIVALS = 2;
const STREAM_CONNECTIONS = 3;
const STREAM_STARTUP = 4;

interface Connection {
  worker: number;
  idleSince: number;
  /** Requests left before the client closes it (closed load only). */
  remaining: number;
}

interface Request {
  arrivedAt: number;
  cpu1: number;
  io: number;
  cpu2: number;
  phase: 0 | 1 | 2;
  client: number;
  instance: Instance | undefined;
  worker: number;
  connection: Connection | undefined;
}

interface Worker {
  busy: number;
  /** gthread: requests on this worker's connections waiting for one of its threads. */
  waiting: Fifo<Request>;
  /** Requests in a CPU phase. */
  active: number;
  /** Processor-sharing clock: CPU seconds each active request has received since the start. */
  served: number;
  /** Active requests by the value of `served` at which they finish their CPU phase. */
  finishing: MinHeap<Request>;
}

interface Instance {
  id: number;
  ready: boolean;
  draining: boolean;
  requestedAt: number;
  workers: Worker[];
  inflight: number;
  /** sync: requests waiting in the listen backlog for an idle worker. */
  backlog: Fifo<Request>;
  /** gthread, open load: idle keep-alive connections from the proxy, most recently used last (Go's transport reuses LIFO). */
  idle: Connection[];
  lastAcceptAt: number;
  lastAcceptWorker: number;
  cpuClock: number;
  cpuVersion: number;
  cpuSeconds: number;
}

type Event =
  | { kind: 'arrival' }
  | { kind: 'send'; client: number }
  | { kind: 'io'; request: Request }
  | { kind: 'cpu'; instance: Instance; version: number }
  | { kind: 'tick' }
  | { kind: 'ready'; instance: Instance }
  | { kind: 'step' }
  | { kind: 'end' };

interface StepAccumulator {
  arrived: number;
  completed: number;
  buckets: number[];
  latencySum: number;
  inflightArea: number;
  readyArea: number;
  queueArea: number;
  cpuSeconds: number;
  startupLatencies: number[];
}

function newStep(): StepAccumulator {
  return { arrived: 0, completed: 0, buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0), latencySum: 0, inflightArea: 0, readyArea: 0, queueArea: 0, cpuSeconds: 0, startupLatencies: [] };
}

/** Runs one simulation to its end and returns its per-step series and summary. Deterministic for a given `params.seed`. */
export function simulate(params: SimParams): SimRun {
  return new Simulation(params).run();
}

class Simulation {
  private readonly params: SimParams;
  private readonly events = new MinHeap<Event>();
  private readonly instances: Instance[] = [];
  private readonly queue = new Fifo<Request>();
  private readonly dirty = new Set<Instance>();
  private readonly drawCpu: () => number;
  private readonly drawIo: () => number;
  private readonly arrivalsUniform: Uniform;
  private readonly connectionsUniform: Uniform;
  private readonly drawStartup: () => number;
  private readonly clients: (Connection | undefined)[] = [];
  private now = 0;
  private lastIntegration = 0;
  private totalInflight = 0;
  private readyInstances = 0;
  private nextInstanceId = 0;
  private step = newStep();
  private readonly steps: SimStep[] = [];
  private tickDemandArea = 0;
  private readonly demandHistory: number[] = [];
  private panicUntil = -Infinity;
  private removedCpuSeconds = 0;
  private stopped = false;
  // measured totals after the warm-up
  private readonly latencies: number[] = [];
  private latencyTotal = 0;
  private measuredArrivals = 0;
  private measuredReadyArea = 0;
  private measuredCpuSeconds = 0;
  private measuredFrom = 0;

  constructor(params: SimParams) {
    this.params = params;
    const sizes = stream(params.seed, STREAM_SIZES);
    this.drawCpu = sampler(params.request.cpuSeconds, sizes);
    this.drawIo = sampler(params.request.ioSeconds, sizes);
    this.arrivalsUniform = stream(params.seed, STREAM_ARRIVALS);
    this.connectionsUniform = stream(params.seed, STREAM_CONNECTIONS);
    const startupUniform = stream(params.seed, STREAM_STARTUP);
    this.drawStartup = params.platform === undefined ? () => 0 : sampler(params.platform.startupSeconds, startupUniform);
    this.measuredFrom = params.warmupSeconds;
  }

  run(): SimRun {
    const { params } = this;
    if (params.load.kind === 'closed') this.startClosed(params.load);
    else this.startOpen(params.load, this.platform());
    for (let t = params.stepSeconds; t <= params.durationSeconds + 1e-9; t += params.stepSeconds) this.events.push(t, { kind: 'step' });
    this.events.push(params.durationSeconds, { kind: 'end' });
    while (!this.stopped) {
      const time = this.events.peekKey();
      const event = this.events.pop();
      if (event === undefined) break;
      this.integrate(time);
      this.now = time;
      this.handle(event);
      this.flushDirty();
    }
    return { params, steps: this.steps, summary: this.summary() };
  }

  private platform(): PlatformParams {
    if (this.params.platform === undefined) throw new Error('an open load needs platform parameters');
    return this.params.platform;
  }

  private startClosed(load: ClosedLoad): void {
    const instance = this.newInstance();
    this.markReady(instance);
    for (let client = 0; client < load.concurrency; client++) {
      this.clients.push(undefined);
      this.events.push(load.rampSeconds * this.arrivalsUniform(), { kind: 'send', client });
    }
  }

  private startOpen(load: OpenLoad, platform: PlatformParams): void {
    for (let i = 0; i < platform.initialInstances; i++) this.markReady(this.newInstance());
    this.scheduleArrival(load, 0);
    this.events.push(platform.tickSeconds, { kind: 'tick' });
  }

  private newInstance(): Instance {
    const { workers } = this.params.server;
    const instance: Instance = {
      id: this.nextInstanceId++,
      ready: false,
      draining: false,
      requestedAt: this.now,
      workers: Array.from({ length: workers }, () => ({ busy: 0, waiting: new Fifo<Request>(), active: 0, served: 0, finishing: new MinHeap<Request>() })),
      inflight: 0,
      backlog: new Fifo<Request>(),
      idle: [],
      lastAcceptAt: -Infinity,
      lastAcceptWorker: 0,
      cpuClock: this.now,
      cpuVersion: 0,
      cpuSeconds: 0,
    };
    this.instances.push(instance);
    return instance;
  }

  private markReady(instance: Instance): void {
    instance.ready = true;
    instance.cpuClock = this.now;
    this.readyInstances++;
  }

  // ---- time integrals -------------------------------------------------------------------------------------------

  private integrate(time: number): void {
    const dt = time - this.lastIntegration;
    if (dt <= 0) return;
    const step = this.step;
    step.inflightArea += this.totalInflight * dt;
    step.readyArea += this.readyInstances * dt;
    step.queueArea += this.queue.size * dt;
    this.tickDemandArea += (this.totalInflight + this.queue.size) * dt;
    const measured = Math.max(0, time - Math.max(this.lastIntegration, this.measuredFrom));
    this.measuredReadyArea += this.readyInstances * measured;
    this.lastIntegration = time;
  }

  // ---- events ---------------------------------------------------------------------------------------------------

  private handle(event: Event): void {
    switch (event.kind) {
      case 'arrival':
        this.onArrival();
        break;
      case 'send':
        this.onSend(event.client);
        break;
      case 'io':
        this.onIoDone(event.request);
        break;
      case 'cpu':
        if (event.version === event.instance.cpuVersion) this.onCpuDue(event.instance);
        break;
      case 'tick':
        this.onTick();
        break;
      case 'ready':
        this.onReady(event.instance);
        break;
      case 'step':
        this.onStep();
        break;
      case 'end':
        this.stopped = true;
        break;
    }
  }

  private newRequest(client: number): Request {
    const cpu = this.drawCpu();
    const io = this.drawIo();
    // CPU before and after the I/O wait: parse and query, then render the response.
    return { arrivedAt: this.now, cpu1: cpu / 2, io, cpu2: cpu / 2, phase: 0, client, instance: undefined, worker: -1, connection: undefined };
  }

  private countArrival(): void {
    this.step.arrived++;
    if (this.now >= this.measuredFrom) this.measuredArrivals++;
  }

  private onSend(client: number): void {
    this.countArrival();
    this.admit(this.instances[0]!, this.newRequest(client));
  }

  private scheduleArrival(load: OpenLoad, from: number): void {
    // Thinning (Lewis & Shedler): candidates at the peak rate, each kept with probability rate(t) / peak.
    let t = from;
    for (;;) {
      t += -Math.log(1 - this.arrivalsUniform()) / load.peakRate;
      if (t > this.params.durationSeconds) return;
      if (this.arrivalsUniform() * load.peakRate <= load.rate(t)) break;
    }
    this.events.push(t, { kind: 'arrival' });
  }

  private onArrival(): void {
    const load = this.params.load as OpenLoad;
    this.scheduleArrival(load, this.now);
    this.countArrival();
    const request = this.newRequest(-1);
    const instance = this.instanceWithRoom();
    if (instance === undefined) this.queue.push(request);
    else this.admit(instance, request);
  }

  /** The ready instance with the fewest requests in flight that is under its concurrency limit. */
  private instanceWithRoom(): Instance | undefined {
    const limit = this.params.platform?.containerConcurrency ?? 0;
    let best: Instance | undefined;
    for (const instance of this.instances) {
      if (!instance.ready || instance.draining) continue;
      if (limit > 0 && instance.inflight >= limit) continue;
      if (best === undefined || instance.inflight < best.inflight) best = instance;
    }
    return best;
  }

  private hasRoom(instance: Instance): boolean {
    const limit = this.params.platform?.containerConcurrency ?? 0;
    return instance.ready && !instance.draining && (limit === 0 || instance.inflight < limit);
  }

  // ---- the server ---------------------------------------------------------------------------------------------

  private admit(instance: Instance, request: Request): void {
    instance.inflight++;
    this.totalInflight++;
    request.instance = instance;
    if (this.params.server.threads === 1) {
      const worker = instance.workers.findIndex((w) => w.busy === 0);
      if (worker === -1) instance.backlog.push(request);
      else this.start(instance, worker, request);
      return;
    }
    const connection = this.connectionFor(instance, request);
    request.connection = connection;
    const worker = instance.workers[connection.worker]!;
    if (worker.busy < this.params.server.threads) this.start(instance, connection.worker, request);
    else worker.waiting.push(request);
  }

  /** The keep-alive connection a gthread request arrives on: the client's own (closed load) or an idle one from the proxy's pool. */
  private connectionFor(instance: Instance, request: Request): Connection {
    if (request.client >= 0) {
      const own = this.clients[request.client];
      if (own !== undefined && own.remaining > 0) {
        own.remaining--;
        return own;
      }
      const opened = this.accept(instance);
      opened.remaining = this.connectionLifetime() - 1;
      this.clients[request.client] = opened;
      return opened;
    }
    const reused = instance.idle.pop();
    if (reused !== undefined) {
      // The pool is ordered by idle time: if the most recent one timed out, every older one did too.
      if (this.now - reused.idleSince <= this.params.keepAliveSeconds) return reused;
      instance.idle.length = 0;
    }
    return this.accept(instance);
  }

  private connectionLifetime(): number {
    const mean = (this.params.load as ClosedLoad).requestsPerConnection;
    if (!Number.isFinite(mean)) return Infinity;
    if (mean <= 1) return 1;
    return 1 + Math.floor(Math.log(1 - this.connectionsUniform()) / Math.log(1 - 1 / mean));
  }

  private accept(instance: Instance): Connection {
    let worker: number;
    if (this.now - instance.lastAcceptAt <= ACCEPT_BURST_SECONDS) worker = instance.lastAcceptWorker;
    else worker = Math.floor(this.connectionsUniform() * instance.workers.length);
    instance.lastAcceptAt = this.now;
    instance.lastAcceptWorker = worker;
    return { worker, idleSince: this.now, remaining: Infinity };
  }

  private start(instance: Instance, worker: number, request: Request): void {
    instance.workers[worker]!.busy++;
    request.worker = worker;
    request.phase = 0;
    if (request.cpu1 > 0) this.addCpu(instance, worker, request, request.cpu1);
    else this.afterCpu(request);
  }

  private addCpu(instance: Instance, worker: number, request: Request, seconds: number): void {
    this.advanceCpu(instance);
    const w = instance.workers[worker]!;
    w.active++;
    w.finishing.push(w.served + seconds, request);
    this.dirty.add(instance);
  }

  private afterCpu(request: Request): void {
    if (request.phase === 0) {
      request.phase = 1;
      if (request.io > 0) this.events.push(this.now + request.io, { kind: 'io', request });
      else this.onIoDone(request);
      return;
    }
    this.finish(request);
  }

  private onIoDone(request: Request): void {
    request.phase = 2;
    if (request.cpu2 > 0) this.addCpu(request.instance!, request.worker, request, request.cpu2);
    else this.finish(request);
  }

  /** Brings the processor-sharing clocks of an instance's workers to now. */
  private advanceCpu(instance: Instance): void {
    const from = instance.cpuClock;
    const dt = this.now - from;
    if (dt <= 0) return;
    instance.cpuClock = this.now;
    let activeWorkers = 0;
    for (const w of instance.workers) if (w.active > 0) activeWorkers++;
    if (activeWorkers === 0) return;
    const share = Math.min(1, this.params.server.vcpus / activeWorkers);
    for (const w of instance.workers) if (w.active > 0) w.served += (dt * share) / w.active;
    const cores = Math.min(this.params.server.vcpus, activeWorkers);
    instance.cpuSeconds += dt * cores;
    this.measuredCpuSeconds += Math.max(0, this.now - Math.max(from, this.measuredFrom)) * cores;
  }

  private flushDirty(): void {
    for (const instance of this.dirty) this.scheduleCpu(instance);
    this.dirty.clear();
  }

  private scheduleCpu(instance: Instance): void {
    instance.cpuVersion++;
    let activeWorkers = 0;
    for (const w of instance.workers) if (w.active > 0) activeWorkers++;
    if (activeWorkers === 0) return;
    const share = Math.min(1, this.params.server.vcpus / activeWorkers);
    let next = Infinity;
    for (const w of instance.workers) {
      if (w.active === 0) continue;
      const due = instance.cpuClock + (Math.max(0, w.finishing.peekKey() - w.served) * w.active) / share;
      if (due < next) next = due;
    }
    this.events.push(next, { kind: 'cpu', instance, version: instance.cpuVersion });
  }

  private onCpuDue(instance: Instance): void {
    this.advanceCpu(instance);
    let activeWorkers = 0;
    for (const w of instance.workers) if (w.active > 0) activeWorkers++;
    const share = Math.min(1, this.params.server.vcpus / Math.max(1, activeWorkers));
    const done: Request[] = [];
    for (const w of instance.workers) {
      while (w.active > 0 && ((w.finishing.peekKey() - w.served) * w.active) / share <= TIME_EPSILON) {
        done.push(w.finishing.pop()!);
        w.active--;
      }
    }
    this.dirty.add(instance);
    for (const request of done) this.afterCpu(request);
  }

  private finish(request: Request): void {
    const instance = request.instance!;
    const worker = instance.workers[request.worker]!;
    worker.busy--;
    this.record(this.now - request.arrivedAt);
    instance.inflight--;
    this.totalInflight--;
    const connection = request.connection;
    if (connection !== undefined && request.client < 0) {
      connection.idleSince = this.now;
      instance.idle.push(connection);
    }
    if (this.params.server.threads === 1) {
      const next = instance.backlog.shift();
      if (next !== undefined) this.start(instance, request.worker, next);
    } else {
      const next = worker.waiting.shift();
      if (next !== undefined) this.start(instance, request.worker, next);
    }
    if (request.client >= 0) {
      this.onSend(request.client);
      return;
    }
    if (this.queue.size > 0 && this.hasRoom(instance)) this.admit(instance, this.queue.shift()!);
    if (instance.draining && instance.inflight === 0) this.remove(instance);
  }

  private record(latency: number): void {
    const step = this.step;
    step.completed++;
    step.latencySum += latency;
    step.buckets[bucketIndex(latency)]!++;
    if (this.now < this.measuredFrom) return;
    this.latencies.push(latency);
    this.latencyTotal += latency;
    if (this.params.maxCompletions !== undefined && this.latencies.length >= this.params.maxCompletions) this.stopped = true;
  }

  // ---- the autoscaler -------------------------------------------------------------------------------------------

  private onTick(): void {
    const platform = this.platform();
    this.events.push(this.now + platform.tickSeconds, { kind: 'tick' });
    this.demandHistory.push(this.tickDemandArea / platform.tickSeconds);
    this.tickDemandArea = 0;
    const target = (platform.containerConcurrency > 0 ? platform.containerConcurrency : platform.targetDefault) * platform.targetUtilization;
    const stable = average(this.demandHistory, Math.round(platform.stableWindowSeconds / platform.tickSeconds));
    const panic = average(this.demandHistory, Math.round(platform.panicWindowSeconds / platform.tickSeconds));
    const serving = this.instances.filter((i) => !i.draining);
    const ready = serving.filter((i) => i.ready).length;
    const wantStable = Math.ceil(stable / target);
    const wantPanic = Math.ceil(panic / target);
    // Knative KPA: panic when the panic window wants twice the ready pods; while panicking it never scales down.
    if (wantPanic >= 2 * Math.max(1, ready)) this.panicUntil = this.now + platform.stableWindowSeconds;
    let desired = this.now < this.panicUntil ? Math.max(wantPanic, wantStable, serving.length) : wantStable;
    desired = Math.min(platform.maxInstances, Math.max(platform.minInstances, desired));
    if (desired > serving.length) {
      for (let i = serving.length; i < desired; i++) {
        const instance = this.newInstance();
        this.events.push(this.now + this.drawStartup(), { kind: 'ready', instance });
      }
    } else if (desired < serving.length) {
      // KPA's max-scale-down-rate 2: at most half the instances go per tick; the least busy ready ones drain.
      const excess = Math.min(serving.length - desired, Math.floor(serving.length / 2));
      const candidates = serving.filter((i) => i.ready).sort((a, b) => a.inflight - b.inflight || b.id - a.id);
      for (const instance of candidates.slice(0, excess)) {
        instance.draining = true;
        if (instance.inflight === 0) this.remove(instance);
      }
    }
  }

  private onReady(instance: Instance): void {
    if (instance.draining) return;
    this.markReady(instance);
    this.step.startupLatencies.push(this.now - instance.requestedAt);
    while (this.queue.size > 0 && this.hasRoom(instance)) this.admit(instance, this.queue.shift()!);
  }

  private remove(instance: Instance): void {
    this.advanceCpu(instance);
    this.removedCpuSeconds += instance.cpuSeconds;
    instance.cpuSeconds = 0;
    const index = this.instances.indexOf(instance);
    if (index !== -1) this.instances.splice(index, 1);
    if (instance.ready) this.readyInstances--;
    instance.ready = false;
  }

  // ---- output ---------------------------------------------------------------------------------------------------

  private onStep(): void {
    let cpu = this.removedCpuSeconds;
    this.removedCpuSeconds = 0;
    for (const instance of this.instances) {
      this.advanceCpu(instance);
      cpu += instance.cpuSeconds;
      instance.cpuSeconds = 0;
    }
    const { stepSeconds } = this.params;
    const step = this.step;
    const instances = step.readyArea / stepSeconds;
    this.steps.push({
      t: this.now,
      arrived: step.arrived,
      completed: step.completed,
      buckets: step.buckets,
      latencySum: step.latencySum,
      instances,
      inflightPerInstance: step.readyArea > 0 ? step.inflightArea / step.readyArea : 0,
      cpuSecondsPerInstance: instances > 0 ? cpu / instances : 0,
      waitingPerInstance: step.readyArea > 0 ? step.queueArea / step.readyArea : 0,
      startupLatencies: step.startupLatencies,
    });
    this.step = newStep();
  }

  private summary(): SimSummary {
    const measuredSeconds = Math.max(0, this.now - this.measuredFrom);
    const completed = this.latencies.length;
    const throughput = measuredSeconds > 0 ? completed / measuredSeconds : 0;
    const meanInstances = measuredSeconds > 0 ? this.measuredReadyArea / measuredSeconds : 0;
    for (const instance of this.instances) this.advanceCpu(instance);
    const cpu = this.measuredCpuSeconds;
    const latencies = Float64Array.from(this.latencies);
    return {
      completed,
      arrived: this.measuredArrivals,
      measuredSeconds,
      throughput,
      meanInstances,
      throughputPerInstance: meanInstances > 0 ? throughput / meanInstances : 0,
      meanLatency: completed > 0 ? this.latencyTotal / completed : Number.NaN,
      p50: exactQuantile(latencies, 0.5),
      p95: exactQuantile(latencies, 0.95),
      p99: exactQuantile(latencies, 0.99),
      cpuCoresPerInstance: measuredSeconds > 0 && meanInstances > 0 ? cpu / measuredSeconds / meanInstances : 0,
    };
  }
}

/** Mean of the last `n` values (all of them when fewer). */
function average(values: readonly number[], n: number): number {
  const tail = values.slice(-Math.max(1, n));
  return tail.length === 0 ? 0 : tail.reduce((a, b) => a + b, 0) / tail.length;
}
