/**
 * The CLI's configuration: flags, then STEWARD_* environment variables, then the file written by
 * `steward login`. The only module of the CLI that reads process.env.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { CliError } from './errors.js';

const CredentialsSchema = z.object({ server: z.string().url(), token: z.string().min(1), org: z.string().optional() });
export type Credentials = z.infer<typeof CredentialsSchema>;

export function environment(): Record<string, string | undefined> {
  return process.env;
}

export function credentialsPath(): string {
  const env = environment();
  if (env.STEWARD_CONFIG) return path.resolve(env.STEWARD_CONFIG);
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'steward', 'credentials.json');
}

function readCredentialsFile(): Partial<Credentials> {
  const file = credentialsPath();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  const parsed = CredentialsSchema.partial().safeParse(JSON.parse(text));
  if (!parsed.success) throw new CliError(`${file} is not a valid steward credentials file: ${parsed.error.issues[0]?.message}`, 2);
  return parsed.data;
}

export function writeCredentials(c: Credentials): string {
  const file = credentialsPath();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(c, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
  return file;
}

export function removeCredentials(): boolean {
  try {
    fs.unlinkSync(credentialsPath());
    return true;
  } catch {
    return false;
  }
}

export interface ResolvedTarget {
  server: string;
  token: string;
  org: string;
}

/** Where to connect and as whom; a clear error when nothing says so. */
export function resolveTarget(flags: { server?: string | undefined; token?: string | undefined; org?: string | undefined }): ResolvedTarget {
  const env = environment();
  const file = readCredentialsFile();
  const server = flags.server ?? env.STEWARD_SERVER ?? file.server;
  const token = flags.token ?? env.STEWARD_TOKEN ?? file.token;
  const org = flags.org ?? env.STEWARD_ORG ?? file.org ?? 'default';
  if (!server) throw new CliError('no server configured: run `steward login --server URL --token TOKEN` or set STEWARD_SERVER', 2);
  if (!token) throw new CliError('no token configured: run `steward login --server URL --token TOKEN` or set STEWARD_TOKEN', 2);
  return { server: server.replace(/\/+$/, ''), token, org };
}
