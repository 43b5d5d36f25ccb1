import { createHash } from 'node:crypto';
import type { ContainerSpec } from '../runtime-driver.js';

export type PublishMode = 'host' | 'ingress';

export interface SwarmSecretRef {
  id: string;
  name: string;
  key: string;
}

/** A Swarm secret's name for one env secret of one instance: content-addressed, so a change makes a new one. */
export function secretName(spec: ContainerSpec, key: string, value: string): string {
  const hash = createHash('sha256').update(`${spec.name}\0${key}\0${value}`).digest('hex').slice(0, 12);
  return `${spec.name.slice(0, 40)}-${hash}`;
}

export const SECRETS_DIR = '/run/secrets';

/**
 * The service for one instance: one replica (0 until started), berth's hardening, the plan's
 * limits, restart policy `none` (berth owns restarts). Secrets are files under /run/secrets
 * with `<KEY>_FILE` pointing at them, never values in the spec.
 */
export function serviceSpec(spec: ContainerSpec, secrets: SwarmSecretRef[], publishMode: PublishMode, volumeLabels: Record<string, string>): Record<string, unknown> {
  const secretKeys = new Set(spec.secretKeys ?? []);
  const env = Object.entries(spec.env).filter(([k]) => !secretKeys.has(k)).map(([k, v]) => `${k}=${v}`);
  for (const s of secrets) env.push(`${s.key}_FILE=${SECRETS_DIR}/${s.key}`);
  const [uid, gid] = spec.user.split(':');
  return {
    Name: spec.name,
    Labels: spec.labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: spec.image,
        ...(spec.command ? { Args: spec.command } : {}),
        Env: env,
        Labels: spec.labels,
        User: spec.user,
        Hostname: spec.hostname,
        ReadOnly: spec.readOnlyRootfs,
        CapabilityDrop: ['ALL'],
        StopGracePeriod: spec.stopTimeoutSeconds * 1e9,
        Mounts: [
          ...spec.volumes.map((v) => ({ Type: 'volume', Source: v.name, Target: v.target, ReadOnly: false, VolumeOptions: { Labels: volumeLabels } })),
          ...spec.binds.map((b) => ({ Type: 'bind', Source: b.source, Target: b.target, ReadOnly: b.readOnly })),
          ...(spec.readOnlyRootfs ? [{ Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024 } }] : []),
        ],
        Secrets: secrets.map((s) => ({ SecretID: s.id, SecretName: s.name, File: { Name: s.key, UID: uid ?? '0', GID: gid ?? uid ?? '0', Mode: 0o400 } })),
      },
      Resources: {
        Limits: { NanoCPUs: Math.round(spec.cpus * 1e9), MemoryBytes: spec.memoryBytes, Pids: spec.pidsLimit },
        Reservations: {
          ...(spec.reservations?.cpus ? { NanoCPUs: Math.round(spec.reservations.cpus * 1e9) } : {}),
          ...(spec.reservations?.memoryBytes ? { MemoryBytes: spec.reservations.memoryBytes } : {}),
        },
      },
      RestartPolicy: { Condition: 'none' },
      Placement: { Constraints: spec.placement?.constraints ?? [] },
      Networks: [{ Target: spec.network, Aliases: [spec.hostname] }],
      LogDriver: { Name: 'json-file', Options: { 'max-size': spec.logMaxSize, 'max-file': String(spec.logMaxFile) } },
      ForceUpdate: 0,
    },
    Mode: { Replicated: { Replicas: 0 } },
    EndpointSpec: {
      // One replica: a virtual IP balances nothing. With host-mode ports the name resolves
      // straight to the task (dnsrr), so a tenant's instances reach each other by name on
      // their overlay without IPVS; the ingress mesh needs a VIP.
      Mode: publishMode === 'host' ? 'dnsrr' : 'vip',
      Ports: [{ Protocol: 'tcp', TargetPort: spec.containerPort, PublishedPort: spec.hostPort, PublishMode: publishMode }],
    },
  };
}
