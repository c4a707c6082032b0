import { readdirSync } from 'node:fs';
import path from 'node:path';
import { collectWorkflowTools, isToolModuleFileName, type DiscoveredTools } from '../../common/tool-modules';

/** The tool modules' folder, from both `src/` and the compiled `dist/src/`. */
export const TOOL_MODULES_DIR = path.resolve(__dirname, '../../workflows/tools');

/**
 * Loads every tool module in `workflows/tools/` (the worker's bundle finds the same ones through
 * webpack) and collects the tools they declare. Loading a module only takes references to its
 * workflow functions; their code runs in the worker's sandbox.
 */
export function loadWorkflowTools(directory: string = TOOL_MODULES_DIR): DiscoveredTools {
  const modules = readdirSync(directory)
    .filter(isToolModuleFileName)
    .map((fileName) => ({
      fileName,
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the modules are found at run time
      exports: require(path.join(directory, fileName)) as Record<string, unknown>,
    }));
  return collectWorkflowTools(modules);
}

/** Every workflow tool, in `tools/list` order (by file name, then by each module's export order). */
export const WORKFLOW_TOOLS = loadWorkflowTools().tools;
