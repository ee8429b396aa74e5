// Runs inside a network namespace of its own (see startKnativeController in knative.ts): listens on
// 127.0.0.1:<port> there and forwards every connection to a Unix socket, which a process outside listens on and
// forwards to the API server (Unix sockets are file-system objects, not bound to a network namespace); then it
// runs the command, passes SIGTERM/SIGINT on, and exits as the command does.
// Usage: node netnsBridge.ts <unix-socket> <port> <command> [args...]
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';

const [socketPath, port, command, ...args] = process.argv.slice(2);
if (!socketPath || !port || !command) {
  process.stderr.write('usage: netnsBridge.ts <unix-socket> <port> <command> [args...]\n');
  process.exit(2);
}

const server = createServer((inside) => {
  const outside = connect(socketPath);
  inside.pipe(outside).pipe(inside);
  inside.on('error', () => outside.destroy());
  outside.on('error', () => inside.destroy());
});
server.listen(Number(port), '127.0.0.1', () => {
  const child = spawn(command, args, { stdio: 'inherit' });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 15 : 1)));
});
