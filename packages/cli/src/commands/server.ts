import type { Command } from 'commander';
import { environment } from '../config.js';
import { CliError } from '../errors.js';
import type { Io } from '../output.js';

export function register(program: Command, io: Io): void {
  program
    .command('server')
    .description('start the Steward server (embedded SQLite and blob folder under ./.steward by default)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on; 0 picks a free one (default 8080)')
    .option('--data-dir <dir>', 'directory for the SQLite database and blobs (default ./.steward)')
    .option('--database-url <url>', 'postgres://... to use Postgres, or sqlite:PATH')
    .option('--blob-store <url>', 'file:DIR, or s3://bucket[/prefix] (endpoint and keys from STEWARD_S3_* or flags)')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint URL')
    .option('--s3-region <region>', 'S3 region')
    .option('--tls-cert <file>', 'PEM certificate; serves HTTPS with --tls-key')
    .option('--tls-key <file>', 'PEM private key')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
    .action(async (opts: Record<string, string | undefined>) => {
      // Loaded on demand: the server's dependencies would slow every other command's start.
      const { loadServerConfig, startServer } = await import('@steward/server');
      let config;
      try {
        config = loadServerConfig(environment(), {
          host: opts.host,
          port: opts.port,
          dataDir: opts.dataDir,
          databaseUrl: opts.databaseUrl,
          blobStore: opts.blobStore,
          s3Endpoint: opts.s3Endpoint,
          s3Region: opts.s3Region,
          tlsCert: opts.tlsCert,
          tlsKey: opts.tlsKey,
          logLevel: opts.logLevel as never,
        });
      } catch (err) {
        throw new CliError((err as Error).message, 2);
      }
      const running = await startServer(config, { log: io.err });
      const stop = async (signal: string) => {
        io.err(`steward: ${signal} received, shutting down`);
        await running.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
      await new Promise(() => {});
    });
}
