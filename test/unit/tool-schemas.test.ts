import { AnalyzeDatasetArgsSchema } from '../../workflows/tools/analyze-dataset';
import { TOOL_CATALOG } from '../../src/tools/catalog';
import { LongRunningOperationArgsSchema } from '../../workflows/tools/long-running-operation';
import { describeTool, toToolJsonSchema } from '../../src/tools/tool-definition';
import { CORE_FIXTURE_TOOLS } from '../conformance/core-fixture-tools';
import { loadWorkflowTools } from '../../src/tools/workflow-tools';
import {
  analyzeDecisionPatternsTool,
  exportMemoryTool,
  getRecentDecisionsTool,
  importDecisionsTool,
  MAX_RECENT_LIMIT,
  purgeDecisionsTool,
} from '../../workflows/tools/project-memory';

describe('tool argument schemas', () => {
  it('defaults long_running_operation to 10 seconds in 5 steps', () => {
    expect(LongRunningOperationArgsSchema.parse({})).toEqual({ duration: 10, steps: 5 });
  });

  it.each([
    [{ duration: -1 }],
    [{ duration: 3601 }],
    [{ steps: 0 }],
    [{ steps: 1.5 }],
    [{ duration: '10' }],
    [{ unknown: true }],
  ])('refuses long_running_operation arguments %p', (args) => {
    expect(LongRunningOperationArgsSchema.safeParse(args).success).toBe(false);
  });

  it.each([
    [{}],
    [{ source: '' }],
    [{ source: 'x'.repeat(4097) }],
    [{ source: 'a.csv', format: 'xml' }],
    [{ source: 'a.csv', columns: [] }],
    [{ source: 42 }],
  ])('refuses analyze_dataset arguments %p', (args) => {
    expect(AnalyzeDatasetArgsSchema.safeParse(args).success).toBe(false);
  });

  it('publishes object JSON Schemas without $schema for every tool', () => {
    for (const tool of TOOL_CATALOG) {
      const schema = toToolJsonSchema(tool.inputSchema, 'input');
      expect(schema.type).toBe('object');
      expect(schema).not.toHaveProperty('$schema');
    }
    expect(toToolJsonSchema(LongRunningOperationArgsSchema, 'input')).toMatchObject({
      properties: { duration: { type: 'number', minimum: 0, maximum: 3600, default: 10 } },
    });
  });
});

describe('tool declarations', () => {
  const workflowTools = TOOL_CATALOG.filter((tool) => tool.kind === 'workflow');

  it.each(workflowTools.map((tool) => [tool.name, tool] as const))(
    '%s: its workflow is found in workflows/tools/ under its function name (its workflow type)',
    (_name, tool) => {
      expect(tool.workflow.name).toMatch(/Workflow$/);
      expect(loadWorkflowTools().workflows[tool.workflow.name]).toBe(tool.workflow);
    },
  );

  it('lists every tool once', () => {
    const names = TOOL_CATALOG.map((tool) => tool.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('publishes output schemas without type arrays, which some clients do not render', () => {
    const typeArrays: string[] = [];
    const visit = (node: unknown, at: string): void => {
      if (Array.isArray(node)) node.forEach((item, i) => visit(item, `${at}[${i}]`));
      else if (typeof node === 'object' && node !== null) {
        if (Array.isArray((node as { type?: unknown }).type)) typeArrays.push(at);
        for (const [key, value] of Object.entries(node)) visit(value, `${at}.${key}`);
      }
    };
    for (const tool of TOOL_CATALOG) {
      visit(toToolJsonSchema(tool.inputSchema, 'input'), `${tool.name}.input`);
      if (tool.outputSchema) visit(toToolJsonSchema(tool.outputSchema, 'output'), `${tool.name}.output`);
    }
    expect(typeArrays).toEqual([]);
    expect(toToolJsonSchema(getRecentDecisionsTool.outputSchema, 'output')).toMatchObject({
      properties: {
        decisions: { items: { properties: { rationale: { anyOf: [{ type: 'string' }, { type: 'null' }] } } } },
      },
    });
  });

  it.each([
    [getRecentDecisionsTool, { limit: 0 }],
    [getRecentDecisionsTool, { limit: MAX_RECENT_LIMIT + 1 }],
    [getRecentDecisionsTool, { limit: 2.5 }],
    [getRecentDecisionsTool, { tag: '   ' }],
    [analyzeDecisionPatternsTool, { bucket: 'day' }],
    [analyzeDecisionPatternsTool, { since: '2024-02-01', until: '2024-01-01' }],
    [exportMemoryTool, { format: 'xml' }],
    [importDecisionsTool, { source: '  ' }],
    [purgeDecisionsTool, {}],
  ])('refuses arguments the activity must never see (%#)', (tool, args) => {
    expect(tool.inputSchema.safeParse(args).success).toBe(false);
  });

  it('hands the activities normalised arguments: tags trimmed and lower-cased, defaults applied', () => {
    expect(getRecentDecisionsTool.inputSchema.parse({ tag: ' DB ' })).toEqual({ limit: 10, tag: 'db' });
    expect(analyzeDecisionPatternsTool.inputSchema.parse({})).toEqual({ bucket: 'month' });
  });

  describe('json-schema-2020-12: a tool with its own JSON Schema', () => {
    const tool = CORE_FIXTURE_TOOLS.find((candidate) => candidate.name === 'json_schema_2020_12_tool')!;

    it('is listed as written: $schema, $defs with $anchor, allOf/anyOf, if/then/else and additionalProperties kept', () => {
      expect(describeTool(tool).inputSchema).toEqual(tool.inputJsonSchema);
      expect(describeTool(tool).inputSchema).toMatchObject({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $defs: { address: { $anchor: 'addressDef' } },
        allOf: [{ anyOf: expect.any(Array) }],
        if: expect.any(Object),
        then: { required: ['phone'] },
        else: { required: ['email'] },
        additionalProperties: false,
      });
    });

    it.each([
      [{ contactMethod: 'phone', phone: '555' }, true],
      [{ email: 'a@example.test', address: { city: 'Paris' } }, true],
      [{ contactMethod: 'phone', email: 'a@example.test' }, false],
      [{ name: 'Ada' }, false],
      [{ email: 'a@example.test', extra: 1 }, false],
    ])('still validates the arguments with the zod schema, which agrees with it: %p → %p', (args, valid) => {
      expect(tool.inputSchema.safeParse(args).success).toBe(valid);
    });
  });
});
