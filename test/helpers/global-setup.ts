import { engineAnswers, rawDocker } from './docker.js';
import { testEnv } from './env.js';

/**
 * Integration tests need a real engine and the local test image. When either is missing they
 * fail here, once, saying how to get it; nothing is skipped.
 */
export default async function setup(): Promise<void> {
  if (!(await engineAnswers())) {
    throw new Error(
      `no Docker engine answers at ${testEnv.dockerHost}. Start one with \`bash scripts/ensure-docker.sh\` ` +
        '(Debian, root: installs docker.io and starts dockerd) or point DOCKER_HOST at a running engine.',
    );
  }
  try {
    await rawDocker().getImage(testEnv.image).inspect();
  } catch {
    throw new Error(`image ${testEnv.image} is missing. Build it offline with \`bash images/build-test-agent.sh\`.`);
  }
  try {
    await rawDocker().getImage(testEnv.s6Image).inspect();
  } catch {
    throw new Error(`image ${testEnv.s6Image} is missing. Build it offline with \`bash images/build-s6-agent.sh\`.`);
  }
}
