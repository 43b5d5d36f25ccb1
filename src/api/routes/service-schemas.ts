import { Type } from '@sinclair/typebox';

export const ServiceSchema = Type.Object({
  name: Type.String(),
  label: Type.String(),
  state: Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('finishing')]),
  wantUp: Type.Boolean(),
  ready: Type.Boolean({ description: 'Up and, for a service that notifies readiness, ready' }),
  pid: Type.Union([Type.Integer(), Type.Null()]),
  uptimeSeconds: Type.Integer({ description: 'Seconds in the current state (up or down)' }),
  exitCode: Type.Union([Type.Integer(), Type.Null()], { description: 'How the last run ended, while down' }),
  signal: Type.Union([Type.String(), Type.Null()]),
  normallyUp: Type.Boolean(),
  paused: Type.Boolean(),
  raw: Type.String({ description: 'The line s6-svstat prints for this state' }),
}, {
  $id: 'Service', title: 'Service',
  examples: [{ name: 'worker', label: 'worker', state: 'up', wantUp: true, ready: false, pid: 294, uptimeSeconds: 12, exitCode: null, signal: null, normallyUp: true, paused: false, raw: 'up (pid 294) 12 seconds' }],
});

export const ServiceListSchema = Type.Object({
  container: Type.String(),
  supervisor: Type.Literal('s6'),
  scanDir: Type.String(),
  items: Type.Array(Type.Ref('Service')),
}, { $id: 'ServiceList', title: 'ServiceList' });

export const SupervisedContainerSchema = Type.Object({
  name: Type.String(),
  kind: Type.Union([Type.Literal('instance'), Type.Literal('registered')]),
  instance: Type.Union([Type.String(), Type.Null()], { description: 'The instance id, for an instance' }),
  tenant: Type.Union([Type.String(), Type.Null()]),
  containerId: Type.Union([Type.String(), Type.Null()]),
  engineState: Type.String({ description: 'running, exited, … or missing' }),
  supervisor: Type.Union([Type.Literal('s6'), Type.Null()]),
  scanDir: Type.Union([Type.String(), Type.Null()]),
  serviceCount: Type.Union([Type.Integer(), Type.Null()]),
}, {
  $id: 'SupervisedContainer', title: 'SupervisedContainer',
  examples: [{ name: 'acme', kind: 'instance', instance: '01JD…', tenant: 'acme', containerId: '3f2a…', engineState: 'running', supervisor: 's6', scanDir: '/run/service', serviceCount: 3 }],
});

export const ServiceParams = Type.Object({ service: Type.String({ minLength: 1, maxLength: 128 }) });

export const ActionBody = Type.Object({
  action: Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('restart'), Type.Literal('once')]),
}, { additionalProperties: false, examples: [{ action: 'restart' }] });

export const ActionQuery = Type.Object({
  timeout: Type.Optional(Type.Number({ minimum: 0, maximum: 600, default: 10, description: 'Seconds to wait for s6 to report the change (capped by supervision.actionTimeoutSeconds)' })),
});

export const LogQuery = Type.Object({
  tail: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000, default: 100 })),
  follow: Type.Optional(Type.Boolean({ default: false })),
  format: Type.Optional(Type.Union([Type.Literal('text'), Type.Literal('ndjson')], { default: 'text' })),
});
