/**
 * What `zod` is inside the workflow bundle: the bundler maps the package here
 * (`workflowBundlerOptions` in src/temporal/workflow-bundle.ts).
 *
 * Tool modules declare their argument schemas with zod next to their workflows, for the MCP server,
 * which validates every call before any workflow starts; code in the sandbox never validates. The
 * sandbox gives each execution fresh module state, so with the real package every new task built
 * every tool's schemas again: most of the worker's CPU for a short task. Here every builder returns
 * the same inert value, and validating refuses loudly instead of passing anything.
 */

const VALIDATING_METHODS = new Set(['parse', 'safeParse', 'parseAsync', 'safeParseAsync', 'spa', 'decode', 'encode']);

function refuse(): never {
  throw new Error('zod does not validate inside workflows: validate arguments in the MCP server before the start');
}

const inertSchema: unknown = new Proxy(function inert() {}, {
  get: (_target, property) => (typeof property === 'string' && VALIDATING_METHODS.has(property) ? refuse : inertSchema),
  apply: () => inertSchema,
  construct: () => inertSchema as object,
  // The worker preloads the workflow modules and freezes what they export, skipping what refuses. A
  // frozen function target would make every read of its own `name`, `length` or `prototype` throw.
  preventExtensions: () => false,
});

export const z = inertSchema;
export default inertSchema;
