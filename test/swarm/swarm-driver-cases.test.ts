import { jobsCases } from '../cases/jobs-cases.js';
import { lifecycleCases } from '../cases/lifecycle-cases.js';
import { monitorCases } from '../cases/monitor-cases.js';
import { swarmTarget } from './swarm-target.js';

// The shared lifecycle, monitor and jobs cases (test/cases) on the Swarm cluster: the third configuration.
lifecycleCases(swarmTarget);
monitorCases(swarmTarget);
jobsCases(swarmTarget);
