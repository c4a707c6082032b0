import type { WorkflowToolDefinition } from './tool-definition';

/**
 * Tools are found, not listed: every module in `workflows/tools/` is a tool module, and every
 * definition it exports (made by `defineWorkflowTool`) is a tool. The MCP server loads those modules
 * from disk and the workflow bundle through webpack; both hand them here, so both see the same tools
 * and the same workflow names. Sandbox-safe: no I/O.
 */

/** The tools of a set of tool modules, and their workflows by workflow type. */
export interface DiscoveredTools {
  /** In module order (modules sorted by file name), then in each module's export order. */
  tools: WorkflowToolDefinition[];
  /** Each tool's workflow under its function name, the workflow type it is started by. */
  workflows: Record<string, WorkflowToolDefinition['workflow']>;
}

/** A loaded tool module with the file name it was found under (for error messages and order). */
export interface ToolModule {
  fileName: string;
  exports: Record<string, unknown>;
}

/** The file names (in a directory listing) that are tool modules: TypeScript or compiled JavaScript sources. */
export function isToolModuleFileName(fileName: string): boolean {
  return /\.[jt]s$/.test(fileName) && !fileName.endsWith('.d.ts');
}

export function isWorkflowToolDefinition(value: unknown): value is WorkflowToolDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'workflow' &&
    typeof (value as { name?: unknown }).name === 'string' &&
    typeof (value as { workflow?: unknown }).workflow === 'function'
  );
}

/**
 * Collects the tools the modules export. Two tools with one name, or two workflows with one function
 * name, would make one of them unreachable, so they fail here, when the server or the worker starts.
 */
export function collectWorkflowTools(modules: readonly ToolModule[]): DiscoveredTools {
  const tools: WorkflowToolDefinition[] = [];
  const workflows: DiscoveredTools['workflows'] = {};
  const toolFiles = new Map<string, string>();
  const sorted = [...modules].sort((a, b) => (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0));
  for (const module of sorted) {
    for (const value of Object.values(module.exports)) {
      if (!isWorkflowToolDefinition(value)) continue;
      const clash = toolFiles.get(value.name);
      if (clash !== undefined) {
        throw new Error(`Tool "${value.name}" is declared twice: in ${clash} and in ${module.fileName}`);
      }
      const type = value.workflow.name;
      if (!type) throw new Error(`The workflow of tool "${value.name}" (${module.fileName}) has no function name`);
      if (workflows[type] !== undefined && workflows[type] !== value.workflow) {
        throw new Error(`Two tools' workflows are named ${type} (${module.fileName}); workflow types must be unique`);
      }
      toolFiles.set(value.name, module.fileName);
      tools.push(value);
      workflows[type] = value.workflow;
    }
  }
  return { tools, workflows };
}
