import { installRuntime } from '../../src/runtime';

// Runs before every test file (jest `setupFiles`): the Temporal runtime of the file's workers logs to
// the run's log file, not to jest's console. Each test file has its own module registry, so its own
// runtime to install.
const logFile = process.env.TEST_TEMPORAL_LOG;
if (logFile) installRuntime({ LOG_LEVEL: 'INFO' }, { logFile });
