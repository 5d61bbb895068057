import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadServerConfig, startServer } from '../src/index.js';

describe('server configuration', () => {
  it('defaults to SQLite and a blob folder under ./.steward on 127.0.0.1:8080', () => {
    const c = loadServerConfig({});
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(8080);
    expect(c.dataDir).toBe(path.resolve('.steward'));
    expect(c.database).toEqual({ kind: 'sqlite', file: path.resolve('.steward/steward.db') });
    expect(c.blobs).toEqual({ kind: 'local', dir: path.resolve('.steward/blobs') });
  });

  it('flags win over environment variables', () => {
    const c = loadServerConfig({ STEWARD_PORT: '9000', STEWARD_DATA_DIR: '/tmp/envdir' }, { port: 9100 });
    expect(c.port).toBe(9100);
    expect(c.dataDir).toBe('/tmp/envdir');
  });

  it('understands postgres and S3 settings', () => {
    const c = loadServerConfig({
      STEWARD_DATABASE_URL: 'postgres://u@db:5432/steward',
      STEWARD_BLOB_STORE: 's3://models-bucket/prod/steward',
      STEWARD_S3_ENDPOINT: 'http://127.0.0.1:9000',
      STEWARD_S3_ACCESS_KEY_ID: 'AK',
      STEWARD_S3_SECRET_ACCESS_KEY: 'SK',
    });
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgres://u@db:5432/steward' });
    expect(c.blobs).toMatchObject({ kind: 's3', bucket: 'models-bucket', prefix: 'prod/steward/', endpoint: 'http://127.0.0.1:9000', accessKeyId: 'AK', secretAccessKey: 'SK', forcePathStyle: true });
  });

  it.each([
    [{ STEWARD_PORT: 'eighty' }, 'port (STEWARD_PORT)'],
    [{ STEWARD_DATABASE_URL: 'mysql://x' }, 'unsupported scheme in "mysql://"'],
    [{ STEWARD_BLOB_STORE: 'ftp://x' }, 'expected file:DIR or s3://bucket[/prefix]'],
    [{ STEWARD_BLOB_STORE: 's3://Bad_Bucket' }, 'is not a valid S3 bucket name'],
    [{ STEWARD_BOOTSTRAP_TOKEN: 'short' }, 'STEWARD_BOOTSTRAP_TOKEN must be at least 32 characters'],
    [{ STEWARD_TLS_CERT: '/x.pem' }, 'TLS needs both a certificate and a key'],
    [{ STEWARD_LOG_LEVEL: 'loud' }, 'logLevel (STEWARD_LOG_LEVEL)'],
  ])('rejects %o naming the setting', (env, message) => {
    expect(() => loadServerConfig(env)).toThrow(message);
  });
});

describe('TLS', () => {
  it('serves HTTPS when given a certificate and key', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-tls-'));
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1'], { stdio: 'ignore' });
    const running = await startServer(loadServerConfig({}, { port: 0, dataDir: dir, tlsCert: cert, tlsKey: key, logLevel: 'silent', gcIntervalSeconds: 0, bootstrapToken: 'stw_tls-test-token-0123456789abcdefghijkl' }), { log: () => {} });
    try {
      expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get(`${running.url}/api/v1/whoami`, { ca: fs.readFileSync(cert), headers: { authorization: 'Bearer stw_tls-test-token-0123456789abcdefghijkl' } }, (res) => {
            let s = '';
            res.on('data', (c) => (s += c));
            res.on('end', () => resolve(s));
          })
          .on('error', reject);
      });
      expect(JSON.parse(body).user.name).toBe('admin');
    } finally {
      await running.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
