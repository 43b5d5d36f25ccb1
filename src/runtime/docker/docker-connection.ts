import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type DockerClient from 'dockerode';
import { Docker } from './load-dockerode.js';
import { BerthError } from '../../common/errors.js';

/** TLS for a tcp:// engine (docker.tlsVerify / DOCKER_TLS_VERIFY, docker.certPath / DOCKER_CERT_PATH). */
export interface EngineTls {
  verify: boolean;
  /** Holds ca.pem, cert.pem, key.pem; empty: ~/.docker, as the docker CLI does. */
  certPath: string;
}

/**
 * Builds a dockerode client from berth's `docker.host` setting (unix socket or tcp). With
 * TLS the engine's certificate is checked against ca.pem and berth presents cert.pem/key.pem.
 * `timeoutMs` is the client's idle timeout; 0 for streams and calls that carry their own deadline.
 */
export function connectDocker(host: string, timeoutMs = 30_000, tls?: EngineTls): DockerClient {
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length), timeout: timeoutMs });
  if (host.startsWith('/')) return new Docker({ socketPath: host, timeout: timeoutMs });
  const match = /^(tcp|http|https):\/\/([^:/]+)(?::(\d+))?/.exec(host);
  if (!match) throw new BerthError('INVALID_CONFIG', `docker.host = ${host}: must be unix:///path, /path or tcp://host:port`);
  const secure = match[1] === 'https' || Boolean(tls?.verify);
  return new Docker({
    host: match[2],
    port: match[3] ? Number(match[3]) : secure ? 2376 : 2375,
    protocol: secure ? 'https' : 'http',
    timeout: timeoutMs,
    ...(secure && tls?.verify ? readCerts(tls.certPath) : {}),
  });
}

function readCerts(certPath: string): { ca: Buffer; cert: Buffer; key: Buffer } {
  const dir = certPath || path.join(os.homedir(), '.docker');
  const read = (file: string): Buffer => {
    try {
      return readFileSync(path.join(dir, file));
    } catch (error) {
      throw new BerthError('INVALID_CONFIG', `docker.certPath = ${dir}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}); TLS to the engine needs ca.pem, cert.pem and key.pem there`, { cause: error });
    }
  };
  return { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
}

interface EngineError {
  statusCode?: number;
  code?: string;
  message?: string;
  json?: { message?: string } | null;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/** JavaScript's own errors: a bug in berth (reading a field of undefined…), not the engine's answer. */
function isProgrammingError(error: unknown): boolean {
  return error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError;
}

/**
 * Maps an engine failure to a BerthError; `what` names the object for a 404. A programming
 * error is thrown on unchanged (the API reports it as INTERNAL), never dressed as the engine's.
 */
export function engineError(error: unknown, host: string, what = 'object'): BerthError {
  if (error instanceof BerthError) return error;
  if (isProgrammingError(error)) throw error;
  const e = (error ?? {}) as EngineError;
  const detail = e.json?.message ?? e.message ?? String(error);
  if ((e.code && UNREACHABLE.has(e.code)) || /socket hang up|connect E/.test(detail)) {
    return new BerthError('RUNTIME_UNAVAILABLE', `the Docker engine at ${host} does not answer (${e.code ?? detail}); start it or set DOCKER_HOST`, { cause: error });
  }
  if ((error as Error | undefined)?.name === 'AbortError' || e.code === 'ABORT_ERR') {
    return new BerthError('TIMEOUT', `the Docker engine at ${host} did not finish the ${what} call within its deadline`, { cause: error });
  }
  if (e.statusCode === 404) {
    if (/no such image|not found: manifest|pull access/i.test(detail)) {
      return new BerthError('IMAGE_NOT_FOUND', detail, { cause: error });
    }
    // The engine says "No such container: <id>" itself; do not say it twice.
    return new BerthError('CONTAINER_NOT_FOUND', /^no such /i.test(detail) ? detail : `no such ${what}: ${detail}`, { cause: error });
  }
  if (e.statusCode === 409) return new BerthError('CONFLICT', detail, { cause: error });
  if (typeof e.statusCode === 'number') return new BerthError('RUNTIME_ERROR', `the Docker engine refused: ${detail}`, { cause: error });
  return new BerthError('RUNTIME_ERROR', `the call to the Docker engine failed: ${detail}`, { cause: error });
}
