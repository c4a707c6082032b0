/**
 * The workflow bundle's entry: the workflows the worker runs. Temporal calls the exported function
 * named by the workflow type, else the default export. The tools' workflows are found by webpack in
 * `./tools` (every tool module there, see common/tool-modules.ts), so adding a tool needs no line
 * here; the default export runs the one the workflow type names. The MCP server finds the same tools
 * on disk (src/tools/workflow-tools.ts).
 */
import { workflowInfo } from '@temporalio/workflow';
import { collectWorkflowTools, isToolModuleFileName, type ToolModule } from '../common/tool-modules';
import type { ToolWorkflowInput } from '../common/task-types';

export { cleanupExpiredTasksWorkflow } from './cleanup-expired-tasks';

/** Webpack's `require.context`: every module of a directory, resolved when the bundle is built. */
interface ModuleContext {
  keys(): string[];
  (key: string): Record<string, unknown>;
}
declare const require: { context(directory: string, recursive: boolean, pattern: RegExp): ModuleContext };

const toolContext = require.context('./tools', false, /^\.\/[^/]+(?<!\.d)\.[jt]s$/);
const toolModules: ToolModule[] = toolContext
  .keys()
  .filter((key) => isToolModuleFileName(key))
  .map((key) => ({ fileName: key.replace(/^\.\//, ''), exports: toolContext(key) }));

/** The tools' workflows by workflow type. */
const toolWorkflows = collectWorkflowTools(toolModules).workflows;

/**
 * Runs the tool workflow the workflow type names. An unknown type throws a plain error, which fails
 * the workflow task (retried) rather than the workflow, as Temporal does for a missing export: a worker
 * deployed with the tool will pick it up.
 */
export default async function runToolWorkflow(
  input: ToolWorkflowInput<Record<string, unknown>>,
): ReturnType<(typeof toolWorkflows)[string]> {
  const { workflowType } = workflowInfo();
  const workflow = toolWorkflows[workflowType];
  if (workflow === undefined) throw new TypeError(`No workflow of type ${workflowType} is in this worker's bundle`);
  return workflow(input);
}
