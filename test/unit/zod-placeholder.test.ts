import { z } from '../../workflows/zod-placeholder';

/** The stand-in for zod inside the workflow bundle (`workflowBundlerOptions`). */
describe('zod placeholder of the workflow bundle', () => {
  const inert = z as {
    object(shape: object): {
      describe(text: string): { refine(check: () => boolean): { parse(value: unknown): unknown } };
    };
    string(): { min(n: number): { safeParse(value: unknown): unknown } };
  };

  test('builds module-level schemas of any shape without doing work', () => {
    const schema = inert.object({ name: inert.string().min(1) }).describe('arguments');
    expect(schema).toBe(z);
  });

  test('refuses to validate, so that code which relies on validation inside a workflow fails loudly', () => {
    const schema = inert
      .object({})
      .describe('arguments')
      .refine(() => true);
    expect(() => schema.parse({})).toThrow(/zod does not validate inside workflows/);
    expect(() => inert.string().min(1).safeParse('x')).toThrow(/zod does not validate inside workflows/);
  });

  test('cannot be frozen, so that the worker freezing the preloaded modules leaves every property inert', () => {
    expect(() => Object.freeze(z)).toThrow(TypeError);
    expect(Object.isFrozen(z)).toBe(false);
    const named = z as { name: unknown; length: unknown; prototype: unknown };
    expect([named.name, named.length, named.prototype]).toEqual([z, z, z]);
    expect(inert.object({}).describe('after a freeze')).toBe(z);
  });
});
