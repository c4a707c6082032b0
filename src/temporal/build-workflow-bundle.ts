import { workflowBundleDir, writeWorkflowBundle } from './workflow-bundle';
import path from 'node:path';
import { PROJECT_ROOT } from './cli-path';

/** The last step of `npm run build`: bundles the compiled workflows for the workers (skipped when up to date). */
writeWorkflowBundle().then(
  (bundled) => {
    if (bundled)
      process.stdout.write(`Bundled the workflows into ${path.relative(PROJECT_ROOT, workflowBundleDir())}/\n`);
  },
  (err: unknown) => {
    process.stderr.write(
      `Bundling the workflows failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
