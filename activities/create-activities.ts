import { readdirSync } from 'node:fs';
import path from 'node:path';
import { isToolModuleFileName } from '../common/tool-modules';
import type { ActivityDeps, ToolActivitiesFactory } from './activity-deps';
import { loggingObserver } from './observer';
import { createDeleteExpiredTasks } from './task-cleanup';

export type { ActivityDeps, ToolActivityDeps, ToolActivitiesFactory } from './activity-deps';

/** Where the tools' activity modules are: each exports a {@link ToolActivitiesFactory} as `createToolActivities`. */
export const TOOL_ACTIVITY_MODULES_DIR = path.join(__dirname, 'tools');

/** The activities the worker registers, by the name workflows call them by. */
export type Activities = ReturnType<ToolActivitiesFactory>;

/**
 * Builds every activity the workflows call, closed over its dependencies: the clean-up schedule's, and
 * those of every module in `activities/tools/` (found there, so adding a tool needs no line here). Two
 * modules registering one name would shadow each other, so that fails when the worker starts.
 */
export function createActivities(deps: ActivityDeps, directory: string = TOOL_ACTIVITY_MODULES_DIR): Activities {
  const toolDeps = { ...deps, observer: deps.observer ?? loggingObserver };
  const activities: Activities = { deleteExpiredTasks: createDeleteExpiredTasks(toolDeps.observer) };
  for (const fileName of readdirSync(directory).filter(isToolModuleFileName).sort()) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the modules are found at run time
    const module = require(path.join(directory, fileName)) as { createToolActivities?: unknown };
    if (typeof module.createToolActivities !== 'function') {
      throw new Error(`activities/tools/${fileName} must export createToolActivities(deps)`);
    }
    for (const [name, activity] of Object.entries((module.createToolActivities as ToolActivitiesFactory)(toolDeps))) {
      if (name in activities) throw new Error(`Activity ${name} is registered twice (again by ${fileName})`);
      activities[name] = activity;
    }
  }
  return activities;
}
