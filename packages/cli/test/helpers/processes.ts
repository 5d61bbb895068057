/** The `steward` binary as real processes: a server on a free port, and one-shot CLI runs. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const CLI_BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

// If the test worker dies, take the processes it started with it.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});
function track(p: ChildProcess): ChildProcess {
  live.add(p);
  p.once('exit', () => live.delete(p));
  return p;
}

/** Admin token handed to servers through STEWARD_BOOTSTRAP_TOKEN. */
export const ADMIN_TOKEN = 'stw_cli-e2e-admin-token-0123456789abcdefghijklmnop';

/** The test runner's environment without any STEWARD_* variable, so nothing leaks into children. */
export function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STEWARD_')) env[k] = v;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface ServerProcess {
  url: string;
  dataDir: string;
  proc: ChildProcess;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM, then wait for exit (SIGKILL after 15 s). Returns the exit code. */
  stop(): Promise<number | null>;
  /** kill -9, then wait for exit. */
  kill9(): Promise<void>;
}

export interface ServerOptions {
  dataDir: string;
  databaseUrl: string;
  /** Defaults to ADMIN_TOKEN; null starts without STEWARD_BOOTSTRAP_TOKEN. */
  bootstrapToken?: string | null;
  env?: Record<string, string | undefined>;
  args?: string[];
  cwd?: string;
}

const LISTENING_RE = /steward: listening on (https?:\/\/[^\s]+) \(/;

export async function startServerProcess(opts: ServerOptions): Promise<ServerProcess> {
  const token = opts.bootstrapToken === undefined ? ADMIN_TOKEN : opts.bootstrapToken;
  const env = baseEnv({ STEWARD_GC_INTERVAL_SECONDS: '0', ...(token ? { STEWARD_BOOTSTRAP_TOKEN: token } : {}), ...opts.env });
  const args = [CLI_BIN, 'server', '--port', '0', '--data-dir', opts.dataDir, '--database-url', opts.databaseUrl, '--log-level', 'warn', ...(opts.args ?? [])];
  const proc = track(spawn(process.execPath, args, { env, cwd: opts.cwd ?? opts.dataDir, stdio: ['ignore', 'pipe', 'pipe'] }));
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  proc.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`server did not start within 30 s; stderr:\n${err}`)), 30_000);
    const onData = () => {
      const m = LISTENING_RE.exec(err);
      if (m) done(null, m[1]);
    };
    const onExit = (code: number | null) => done(new Error(`server exited (${code}) before listening; stderr:\n${err}`));
    function done(e: Error | null, u?: string) {
      clearTimeout(timer);
      proc.stderr!.off('data', onData);
      proc.off('exit', onExit);
      if (e) {
        proc.kill('SIGKILL');
        reject(e);
      } else resolve(u!);
    }
    proc.stderr!.on('data', onData);
    proc.once('exit', onExit);
  });

  return {
    url,
    dataDir: opts.dataDir,
    proc,
    stderr: () => err,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
    async kill9() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Added to baseEnv() (which has no STEWARD_* variables). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
}

/** A running CLI process; `result` settles when it exits. */
export function spawnCli(args: string[], opts: CliOptions = {}): { proc: ChildProcess; result: Promise<CliResult>; stdout(): string; stderr(): string } {
  const proc = track(spawn(process.execPath, [CLI_BIN, ...args], { env: baseEnv(opts.env), cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const timer = setTimeout(() => proc.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  const result = (async () => {
    const [code, signal] = (await once(proc, 'close')) as [number | null, NodeJS.Signals | null];
    clearTimeout(timer);
    return { code, signal, stdout: out, stderr: err };
  })();
  return { proc, result, stdout: () => out, stderr: () => err };
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return spawnCli(args, opts).result;
}

/** Last non-empty line of a text. */
export function lastLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines[lines.length - 1] ?? '';
}

/** Throws with the process output when the CLI did not exit 0; returns the result otherwise. */
export function ok(r: CliResult, what = 'steward'): CliResult {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code ?? r.signal}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}

export function json<T = any>(r: CliResult): T {
  ok(r);
  return JSON.parse(r.stdout) as T;
}
