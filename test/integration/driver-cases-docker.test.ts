import { jobsCases } from '../cases/jobs-cases.js';
import { lifecycleCases } from '../cases/lifecycle-cases.js';
import { monitorCases } from '../cases/monitor-cases.js';
import { dockerTarget } from '../helpers/docker-target.js';

// The shared lifecycle, monitor and jobs cases on the Docker engine; test/swarm runs the same on Swarm.
lifecycleCases(dockerTarget);
monitorCases(dockerTarget);
jobsCases(dockerTarget);
