/**
 * The bol sandbox in a process of its own, for benchmarks whose driver does work of its own while
 * the sandbox serves (starting hundreds of syncs at once): bol's servers are not slowed by our
 * client's work, and a sandbox sharing the driver's event loop would be. The parent starts it with
 * `startBolSandboxProcess` and reads its stats over the IPC channel; the child exits when the
 * channel closes, so a driver that dies leaves no sandbox behind. (The standalone sandbox,
 * sandbox/server.ts, serves the same simulator but has no way to hand its stats to a benchmark.)
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBolSandbox, type BolSandboxOptions, type BolSandboxStats } from '../sandbox/bol/index.ts';
import { listPagesNeeded } from './harness.ts';

type Op = 'stats' | 'resetStats' | 'close';
type Request = { id: number; op: Op };
/** The options go over the channel, not the environment: 2,000 clients' credentials exceed what an env var may hold. */
type Start = { start: BolSandboxOptions };
type Answer = { id: number; result?: unknown; error?: string };
type Ready = { ready: { url: string; listPages: number } };
type Listening = { listening: true };

export interface BolSandboxProcess {
  url: string;
  pid: number;
  /** The list pages a crawl of one client needs (harness.listPagesNeeded). */
  listPages: number;
  stats(): Promise<BolSandboxStats>;
  resetStats(): Promise<void>;
  close(): Promise<void>;
}

const self = fileURLToPath(import.meta.url);

export async function startBolSandboxProcess(opts: BolSandboxOptions): Promise<BolSandboxProcess> {
  const child = fork(self, [], {
    execArgv: ['--import', 'tsx'],
    cwd: path.resolve(path.dirname(self), '..'),
    env: { ...process.env, BENCH_BOL_SANDBOX_CHILD: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // A message sent before the child listens is lost: it says when it does, then gets its options.
  let onStartMessage: (m: unknown) => void = () => undefined;
  let onEarlyExit: (code: number | null) => void = () => undefined;
  const ready = await new Promise<Ready['ready']>((resolve, reject) => {
    onEarlyExit = (code) => reject(new Error(`the bol sandbox process exited with ${code} before it listened`));
    onStartMessage = (m) => {
      if ((m as Listening).listening) child.send({ start: opts } satisfies Start);
      else resolve((m as Ready).ready);
    };
    child.once('exit', onEarlyExit);
    child.on('message', onStartMessage);
  });
  child.off('message', onStartMessage);
  child.off('exit', onEarlyExit);
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (m) => {
    const a = m as Answer;
    const p = pending.get(a.id);
    pending.delete(a.id);
    if (a.error !== undefined) p?.reject(new Error(a.error));
    else p?.resolve(a.result);
  });
  // A sandbox that dies answers nothing more: whoever waits hears so instead of waiting for ever.
  child.once('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`the bol sandbox process exited with ${code}`));
    pending.clear();
  });
  const ask = (op: Op) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ id, op } satisfies Request);
    });
  return {
    url: ready.url,
    pid: child.pid!,
    listPages: ready.listPages,
    stats: () => ask('stats') as Promise<BolSandboxStats>,
    resetStats: async () => void (await ask('resetStats')),
    close: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      await ask('close');
      child.disconnect();
      await exited;
    },
  };
}

async function serveAsChild(): Promise<void> {
  const started = new Promise<Start>((resolve) => process.once('message', (m) => resolve(m as Start)));
  process.send!({ listening: true } satisfies Listening);
  const { start } = await started;
  const sandbox = await startBolSandbox(start);
  const send = (m: Answer | Ready) => process.send!(m);
  process.on('message', (m) => {
    const { id, op } = m as Request;
    const answer = async (): Promise<unknown> => {
      if (op === 'stats') return sandbox.stats();
      if (op === 'resetStats') return sandbox.resetStats();
      return sandbox.close();
    };
    answer().then(
      (result) => send({ id, result }),
      (err: unknown) => send({ id, error: String(err) }),
    );
  });
  // The driver is gone (done, or died): so is its sandbox.
  process.once('disconnect', () => process.exit(0));
  send({ ready: { url: sandbox.url, listPages: listPagesNeeded(sandbox) } });
}

if (process.send && process.env.BENCH_BOL_SANDBOX_CHILD === '1' && process.argv[1] === self) await serveAsChild();
