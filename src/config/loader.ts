import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import { BerthError } from '../common/errors.js';
import { ConfigSchema, PlanSchema, SHIPPED_PLANS, type BerthConfig } from './schema.js';
import { parseMemorySize } from './parse-size.js';
import { checkPromises } from './promise-checks.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface LoadOptions {
  /** Explicit config file (a `--config` flag). */
  configPath?: string;
  /** Environment to read; the composition root passes process.env. */
  env: Record<string, string | undefined>;
  /** Flag overrides as dotted keys, e.g. { 'server.port': 9000 }. */
  flags?: Record<string, string | number | boolean | undefined>;
  cwd?: string;
}

export interface LoadedConfig {
  config: BerthConfig;
  /** The file that was read, if any. */
  source: string | undefined;
}

/** Environment variables berth reads, and the config key each sets. */
export const ENV_KEYS: Record<string, string> = {
  BERTH_DATA_DIR: 'dataDir',
  BERTH_HOST: 'server.host',
  BERTH_PORT: 'server.port',
  BERTH_SHUTDOWN_GRACE_SECONDS: 'server.shutdownGraceSeconds',
  DATABASE_URL: 'database.url',
  DOCKER_HOST: 'docker.host',
  DOCKER_CERT_PATH: 'docker.certPath',
  BERTH_RUNTIME_DRIVER: 'runtime.driver',
  BERTH_SCOPE: 'runtime.scope',
  BERTH_BIND_ADDRESS: 'runtime.bindAddress',
  BERTH_DEFAULT_IMAGE: 'runtime.defaultImage',
  BERTH_PORT_RANGE: 'ports',
  BERTH_LOG_LEVEL: 'log.level',
  BERTH_LOG_FORMAT: 'log.format',
  BERTH_MONITOR_ENABLED: 'monitor.enabled',
  BERTH_SCHEDULER_ENABLED: 'scheduler.enabled',
  BERTH_PROCESS_ID: 'cluster.processId',
  BERTH_LEASE_SECONDS: 'cluster.leaseSeconds',
};

/** Loads configuration: defaults → YAML file → environment → flags, validated once. */
export function loadConfig(options: LoadOptions): LoadedConfig {
  const cwd = options.cwd ?? process.cwd();
  const source = findConfigFile(options, cwd);
  const raw: JsonObject = source ? readYaml(source) : {};

  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const value = options.env[name];
    if (value === undefined || value === '') continue;
    if (key === 'ports') {
      const m = /^(\d+)-(\d+)$/.exec(value);
      if (!m) fail(`${name}`, value, 'a range like 20000-29999', source);
      setPath(raw, 'ports.start', Number(m[1]));
      setPath(raw, 'ports.end', Number(m[2]));
      continue;
    }
    setPath(raw, key, coerce(value));
  }
  // Docker's own convention: any non-empty DOCKER_TLS_VERIFY turns verification on.
  const tlsVerify = options.env.DOCKER_TLS_VERIFY;
  if (tlsVerify !== undefined && tlsVerify !== '') setPath(raw, 'docker.tlsVerify', tlsVerify !== '0' && tlsVerify !== 'false');
  for (const [key, value] of Object.entries(options.flags ?? {})) {
    if (value !== undefined) setPath(raw, key, typeof value === 'string' ? coerce(value) : value);
  }

  // Shipped plans are always there; the file may override their fields or add new plans.
  const plans = (isObject(raw.plans) ? raw.plans : {}) as JsonObject;
  const merged: JsonObject = {};
  for (const [name, plan] of Object.entries(SHIPPED_PLANS)) merged[name] = { ...plan };
  for (const [name, plan] of Object.entries(plans)) {
    merged[name] = isObject(plan) && isObject(merged[name]) ? { ...(merged[name] as JsonObject), ...plan } : plan;
  }
  // Value.Default does not descend into records, so plan defaults are filled here.
  for (const [name, plan] of Object.entries(merged)) {
    if (isObject(plan)) merged[name] = Value.Default(PlanSchema, plan) as JsonObject;
  }
  raw.plans = merged;

  const withDefaults = Value.Default(ConfigSchema, structuredClone(raw));
  const first = Value.Errors(ConfigSchema, withDefaults).First();
  if (first) {
    const key = first.path.replace(/^\//, '').replace(/\//g, '.') || '(root)';
    const value = first.value === undefined ? '(missing)' : JSON.stringify(first.value);
    const isUnknown = first.message.toLowerCase().includes('additional') || first.type === 42 /* ObjectAdditionalProperties */;
    if (isUnknown) {
      const known = Object.keys(lookupProperties(first.path)).join(', ');
      throw configError(`unknown key under ${key}: allowed keys are ${known}`, source);
    }
    fail(key, value, first.message.toLowerCase(), source);
  }
  const config = withDefaults as BerthConfig;
  checkSemantics(config, source);
  config.dataDir = path.resolve(cwd, config.dataDir);
  checkPromises(config, source);
  return { config, source };
}

function checkSemantics(config: BerthConfig, source: string | undefined): void {
  if (config.ports.start > config.ports.end) {
    fail('ports', `${config.ports.start}-${config.ports.end}`, 'start must not be greater than end', source);
  }
  for (const [name, plan] of Object.entries(config.plans)) {
    if (parseMemorySize(plan.memory) === undefined) {
      fail(`plans.${name}.memory`, JSON.stringify(plan.memory), 'must be a positive size like "512MiB", "1GiB" or a number of MiB', source);
    }
    for (const key of ['tmpSize', 'disk'] as const) {
      const value = plan[key];
      if (value !== undefined && parseMemorySize(value) === undefined) fail(`plans.${name}.${key}`, JSON.stringify(value), 'must be a positive size like "64MiB", "10GiB" or a number of MiB', source);
    }
  }
  if (!config.plans[config.defaultPlan]) {
    fail('defaultPlan', config.defaultPlan, `must name a plan (${Object.keys(config.plans).join(', ')})`, source);
  }
  const db = config.database.url;
  if (db !== '' && !/^postgres(ql)?:\/\//.test(db) && !/^sqlite:/.test(db)) {
    fail('database.url', '[redacted]', 'must be empty (SQLite in dataDir), sqlite:<path> or postgres://…', source);
  }
}

function findConfigFile(options: LoadOptions, cwd: string): string | undefined {
  const explicit = options.configPath ?? options.env.BERTH_CONFIG;
  if (explicit) {
    const file = path.resolve(cwd, explicit);
    if (!existsSync(file)) throw configError(`config file ${file} does not exist`, undefined);
    return file;
  }
  const local = path.resolve(cwd, 'berth.yml');
  return existsSync(local) ? local : undefined;
}

function readYaml(file: string): JsonObject {
  let parsed: unknown;
  try {
    // The YAML parser is loaded only when there is a config file to read.
    parsed = (createRequire(import.meta.url)('yaml') as typeof Yaml).parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw configError(`cannot parse YAML: ${(error as Error).message.split('\n')[0]}`, file);
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isObject(parsed)) throw configError('the top level must be a mapping of keys', file);
  return parsed as JsonObject;
}

function coerce(value: string): Json {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value;
}

function setPath(target: JsonObject, dotted: string, value: Json): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (!isObject(node[part])) node[part] = {};
    node = node[part] as JsonObject;
  }
  node[parts[parts.length - 1] as string] = value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lookupProperties(pointer: string): Record<string, unknown> {
  let schema: { properties?: Record<string, unknown>; patternProperties?: Record<string, unknown> } = ConfigSchema;
  for (const part of pointer.split('/').filter(Boolean)) {
    const props = schema.properties ?? {};
    const next = (props[part] ?? Object.values(schema.patternProperties ?? {})[0]) as typeof schema | undefined;
    if (!next) break;
    schema = next;
  }
  return schema.properties ?? {};
}

function configError(message: string, source: string | undefined): BerthError {
  return new BerthError('INVALID_CONFIG', `invalid config${source ? ` (${source})` : ''}: ${message}`);
}

function fail(key: string, value: string, allowed: string, source: string | undefined): never {
  throw configError(`${key} = ${value}: ${allowed}`, source);
}
