/** Settings the tests read from their environment, with the defaults the CI script sets up. */
export const testEnv = {
  dockerHost: process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock',
  /** Which store the integration run uses: `sqlite` (default) or `postgres`. */
  store: (process.env.BERTH_TEST_STORE ?? 'sqlite') as 'sqlite' | 'postgres',
  /** A Postgres server where the `berth` role may create databases. */
  pgAdminUrl: process.env.BERTH_TEST_PG_URL ?? 'postgres://berth:berth@127.0.0.1:5432/postgres',
  image: process.env.BERTH_TEST_IMAGE ?? 'berth/test-agent:local',
  /** An image running s6-svscan with three services (images/build-s6-agent.sh). */
  s6Image: process.env.BERTH_TEST_S6_IMAGE ?? 'berth/s6-agent:local',
  /**
   * Subnets for the test daemons' shared network and dedicated-network pool, when set. The
   * Podman lane uses its own: Podman accepts a subnet that a Docker bridge without running
   * containers holds, and the host then routes to the wrong bridge.
   */
  sharedSubnet: process.env.BERTH_TEST_SHARED_SUBNET,
  subnetPool: process.env.BERTH_TEST_SUBNET_POOL,
  root: new URL('../../', import.meta.url).pathname,
};
