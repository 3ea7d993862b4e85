import { spawn } from 'node:child_process';

/**
 * `shipsync <args>` in a process of its own, as a person runs it (cli/shipsync.ts under tsx), on
 * the embedded defaults unless `env` says otherwise.
 */
export interface CliProcess {
  out(): string;
  err(): string;
  /** The exit code once the process has ended. */
  exited: Promise<number | null>;
  /** Resolves with the match once stdout matches `pattern`; throws if the process ends or `timeoutMs` passes first. */
  until(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  kill(signal: NodeJS.Signals): void;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/shipsync.ts', ...args], {
    env: { ...process.env, DATABASE_URL: '', AMQP_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  return {
    out: () => stdout,
    err: () => stderr,
    exited,
    async until(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = stdout.match(pattern);
        if (m) return m;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`never printed ${pattern}:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    kill: (signal) => void child.kill(signal),
  };
}

/** Runs `shipsync <args>` to its end: its exit code and what it printed. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = startCli(args, env);
  const code = await cli.exited;
  return { code, stdout: cli.out(), stderr: cli.err() };
}
