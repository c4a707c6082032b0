import { AnalyzeDatasetArgsSchema } from '../../src/tools/analyze-dataset';
import { TOOL_CATALOG } from '../../src/tools/catalog';
import { LongRunningOperationArgsSchema } from '../../src/tools/long-running-operation';
import { toToolJsonSchema } from '../../src/tools/tool-definition';

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
