import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const logModule = fileURLToPath(new URL('../../src/controller/log.ts', import.meta.url));

// The controller exits with process.exit() once stopped (src/cli/controller.ts). Lines logged while stderr is a full
// pipe must still arrive: a reader that falls behind (kubectl logs, a test draining stderr late) must not lose
// "became leader".
it('keeps every line logged into a full stderr pipe when the process exits right after', async () => {
  const script = [
    `import { createLogger } from ${JSON.stringify(logModule)};`,
    'const log = createLogger({ level: "info" });',
    // Larger than a pipe's buffer and the reader's, so the next line is written while the pipe is full.
    'log.info({ filler: "x".repeat(400_000) }, "filler");',
    'log.info("became leader");',
    'log.info("last line");',
    'process.exit(0);',
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = child.stderr;
  stderr.pause();
  // Let the child run into the full pipe and reach process.exit() before anything is read.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const chunks: Buffer[] = [];
  stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
  stderr.resume();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const messages = Buffer.concat(chunks)
    .toString()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as { msg: string }).msg);
  expect(code).toBe(0);
  expect(messages).toEqual(['filler', 'became leader', 'last line']);
});
