import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { createActivities, type ActivityDeps } from '../../activities';
import { NO_URL_SOURCES } from '../../activities/common/url-policy';
import { collectWorkflowTools, isToolModuleFileName } from '../../common/tool-modules';
import { defineWorkflowTool } from '../../common/tool-definition';
import { loadWorkflowTools } from '../../src/tools/workflow-tools';
import { readHistoryFiles } from '../workflows/history-files';

function toolNamed(name: string, workflow: (input: unknown) => Promise<never>) {
  return defineWorkflowTool({
    name,
    title: name,
    description: name,
    inputSchema: z.strictObject({}),
    outputSchema: undefined,
    taskSupport: 'optional',
    defaultTimeLimitSeconds: 1,
    workflow,
  });
}
async function alphaWorkflow(): Promise<never> {
  throw new Error('not run');
}
async function betaWorkflow(): Promise<never> {
  throw new Error('not run');
}

describe('tool modules', () => {
  it('takes TypeScript and compiled JavaScript modules, not declarations or source maps', () => {
    expect(['a.ts', 'b.js', 'c.d.ts', 'd.js.map', 'README.md'].filter(isToolModuleFileName)).toEqual(['a.ts', 'b.js']);
  });

  it('collects the tools every module exports, ordered by file name, ignoring other exports', () => {
    const found = collectWorkflowTools([
      { fileName: 'b.ts', exports: { betaTool: toolNamed('beta', betaWorkflow), helper: () => 1, SCHEMA: {} } },
      { fileName: 'a.ts', exports: { alphaTool: toolNamed('alpha', alphaWorkflow) } },
    ]);
    expect(found.tools.map((tool) => tool.name)).toEqual(['alpha', 'beta']);
    expect(found.workflows).toEqual({ alphaWorkflow, betaWorkflow });
  });

  it('refuses two tools of one name, and two workflows of one type', () => {
    expect(() =>
      collectWorkflowTools([
        { fileName: 'a.ts', exports: { one: toolNamed('same', alphaWorkflow) } },
        { fileName: 'b.ts', exports: { two: toolNamed('same', betaWorkflow) } },
      ]),
    ).toThrow('Tool "same" is declared twice: in a.ts and in b.ts');
    const impostor = { alphaWorkflow: async (): Promise<never> => alphaWorkflow() }.alphaWorkflow;
    expect(() =>
      collectWorkflowTools([
        { fileName: 'a.ts', exports: { one: toolNamed('one', alphaWorkflow) } },
        { fileName: 'b.ts', exports: { two: toolNamed('two', impostor) } },
      ]),
    ).toThrow("Two tools' workflows are named alphaWorkflow");
  });

  it('finds the product tools in workflows/tools/', () => {
    const { tools, workflows } = loadWorkflowTools();
    expect(tools.map((tool) => tool.name)).toEqual(
      expect.arrayContaining(['long_running_operation', 'analyze_dataset', 'record_decision', 'purge_decisions']),
    );
    for (const tool of tools) expect(workflows[tool.workflow.name]).toBe(tool.workflow);
  });
});

describe('tool activity modules', () => {
  const deps: ActivityDeps = {
    datasetRoots: [os.tmpdir()],
    urlSources: NO_URL_SOURCES,
    memoryDbFile: path.join(os.tmpdir(), 'never-opened.db'),
    exportsDir: os.tmpdir(),
  };

  it('registers every activity the recorded histories schedule', () => {
    const registered = Object.keys(createActivities(deps));
    const scheduled = new Set<string>();
    for (const file of readHistoryFiles()) {
      for (const event of file.history.events ?? []) {
        const type = event.activityTaskScheduledEventAttributes?.activityType?.name;
        if (type) scheduled.add(type);
      }
    }
    expect(scheduled.size).toBeGreaterThan(5);
    expect([...scheduled].filter((type) => !registered.includes(type))).toEqual([]);
  });

  function moduleDir(files: Record<string, string>): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'activity-modules-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    return dir;
  }

  it('registers the activities of every module in the folder', () => {
    const dir = moduleDir({
      'a.js': 'exports.createToolActivities = (deps) => ({ alpha: async () => deps.exportsDir });',
      'b.js': 'exports.createToolActivities = () => ({ beta: async () => 2 });',
    });
    expect(Object.keys(createActivities(deps, dir)).sort()).toEqual(['alpha', 'beta', 'deleteExpiredTasks']);
  });

  it('fails at start for a module without a factory, or two modules registering one name', () => {
    expect(() => createActivities(deps, moduleDir({ 'a.js': 'exports.other = 1;' }))).toThrow(
      'activities/tools/a.js must export createToolActivities(deps)',
    );
    const clash = moduleDir({
      'a.js': 'exports.createToolActivities = () => ({ same: async () => 1 });',
      'b.js': 'exports.createToolActivities = () => ({ same: async () => 2 });',
    });
    expect(() => createActivities(deps, clash)).toThrow('Activity same is registered twice (again by b.js)');
  });
});
