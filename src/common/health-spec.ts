/** An instance's health check as the API takes it and the store keeps it (seconds; the monitor resolves defaults into milliseconds). */
export interface HealthSpec {
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  successThreshold: number;
  startPeriodSeconds: number;
  /** Critical s6 services inside the container: one down or flapping makes the instance unhealthy. */
  services?: string[];
}
