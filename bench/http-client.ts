/** A keep-alive HTTP/1.1 client for the load generator (node:http; undici is not installed). */
import { Agent, request } from 'node:http';

export interface HttpClient {
  /** GETs `path`; resolves once the whole body is read, rejects on a non-200 answer or a timeout. */
  get(path: string, headers: Record<string, string>): Promise<void>;
  close(): void;
}

export function createHttpClient(opts: { port: number; concurrency: number; timeoutMs: number }): HttpClient {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency, maxFreeSockets: opts.concurrency });
  return {
    get(path, headers) {
      return new Promise((resolve, reject) => {
        const req = request({ agent, host: '127.0.0.1', port: opts.port, method: 'GET', path, headers, timeout: opts.timeoutMs }, (res) => {
          if (res.statusCode === 200) {
            res.on('data', () => {});
            res.on('end', () => resolve());
            res.on('error', reject);
            return;
          }
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (body.length < 300) body += chunk;
          });
          res.on('end', () => reject(new Error(`HTTP ${res.statusCode} for ${path}: ${body.slice(0, 300)}`)));
        });
        req.on('timeout', () => req.destroy(new Error(`timed out after ${opts.timeoutMs} ms: ${path}`)));
        req.on('error', reject);
        req.end();
      });
    },
    close: () => agent.destroy(),
  };
}
