import type { z } from 'zod';
import type { InputAnswer, Question } from './elicitation';
import type { ToolCallResult, ToolWorkflowInput } from './task-types';

/**
 * The declaration of a tool, written once next to its workflow: its zod input and output schemas
 * (from which `tools/list`, argument validation and the activities' argument types are derived), its
 * task support, and the workflow function that runs it. Sandbox-safe: zod and types only, so the
 * workflow file that declares the tool can be bundled for Temporal's sandbox.
 */

/** MCP's `execution.taskSupport`: whether a tool may, must or must not be called as a task. */
export type TaskSupport = 'forbidden' | 'optional' | 'required';

/**
 * A tool whose work runs as a Temporal workflow, so it is durable whether or not the client asked for
 * a task; `taskSupport` only decides how the client may call it.
 */
export interface WorkflowToolDefinition<
  Input extends z.ZodObject = z.ZodObject,
  Output extends z.ZodObject | undefined = z.ZodObject | undefined,
> {
  kind: 'workflow';
  name: string;
  title: string;
  description: string;
  /** Validates and defaults the arguments; its JSON Schema is what `tools/list` shows. */
  inputSchema: Input;
  /**
   * The JSON Schema `tools/list` shows for the arguments when it says more than zod can (`$defs` with
   * `$ref` or `$anchor`, `if`/`then`/`else`, a `$schema` dialect): listed as written, while
   * `inputSchema` still validates the arguments, so the two must accept the same values.
   * @default derived from `inputSchema`
   */
  inputJsonSchema?: { type: 'object'; [keyword: string]: unknown };
  /** Schema of `structuredContent`; a tool without one returns no `structuredContent`. */
  outputSchema: Output;
  taskSupport: TaskSupport;
  /**
   * Whether a call with these (validated) arguments finishes at once, so that a 2026-07-28 client is
   * answered synchronously even though it could take a task. Only `optional` tools are asked.
   * @default every call of an optional tool may be long
   */
  isQuickCall?: (args: z.output<Input>) => boolean;
  /**
   * Questions a call with these (validated) arguments needs answered before its work starts, by key,
   * given the answers so far: a question may depend on an earlier answer, and is then asked in a later
   * round. A 2026-07-28 client is asked them in the `tools/call` itself (`input_required` results,
   * MRTR), and the task is created only with every answer, which the workflow finds in
   * `input.answersBeforeStart`. A wire without that round (2025-11-25) starts the task at once, and the
   * workflow asks the same questions as the task's own (`answersBeforeStart` in task-lifecycle.ts).
   * Must be deterministic: the workflow evaluates it too.
   * @default none
   */
  questionsBeforeStart?: QuestionsBeforeStart<z.output<Input>>;
  /**
   * Whether the task may ask its client questions while it runs (`input_required`). A 2026-07-28
   * request that does not declare form elicitation is refused such a tool (−32021) before any task
   * exists: a question must never go to a client that did not say it can answer one, and a task that
   * waited for an answer nobody can give would hold its slot until its time limit.
   * @default false
   */
  asksDuringTask?: boolean;
  /** Default time limit of one task; `TOOL_TIME_LIMITS` overrides it per tool. */
  defaultTimeLimitSeconds: number;
  /**
   * The workflow that runs the tool. Started by reference: Temporal uses its function name as the
   * workflow type; the worker's bundle finds it through this definition (see common/tool-modules.ts).
   */
  workflow: ToolWorkflow<z.output<Input>>;
}

/** The questions a call still needs answered before it starts, given its arguments and the answers so far. */
export type QuestionsBeforeStart<Args> = {
  ask(args: Args, answers: Readonly<Record<string, InputAnswer>>): Record<string, Question>;
}['ask'];

/**
 * A tool's workflow function. Written as a method type so that its parameter is compared bivariantly:
 * that lets definitions of different tools share one catalog type, while each definition is still
 * checked against its own schema by {@link defineWorkflowTool}.
 */
export type ToolWorkflow<Args> = {
  run(input: ToolWorkflowInput<Args>): Promise<ToolCallResult>;
}['run'];

/**
 * A tool result whose `structuredContent` is `content`. Type it with the output schema's type
 * (`structuredResult<z.output<typeof XSchema>>(…)`) so that the compiler checks the shape.
 */
export function structuredResult<Content extends object>(text: string, content: Content): ToolCallResult {
  // A copy: the result must be a plain JSON object, not a class instance or a shared reference.
  return { content: [{ type: 'text', text }], structuredContent: { ...(content as Record<string, unknown>) } };
}

/**
 * Declares a workflow tool. The generic parameters are inferred, so the workflow's argument and result
 * types are checked against the schemas.
 *
 * @example
 * export const greetTool = defineWorkflowTool({
 *   name: 'greet', title: 'Greet', description: 'Says hello.',
 *   inputSchema: z.strictObject({ name: z.string() }),
 *   outputSchema: z.object({ greeting: z.string() }),
 *   taskSupport: 'optional', defaultTimeLimitSeconds: 60,
 *   workflow: greetWorkflow,
 * });
 */
export function defineWorkflowTool<Input extends z.ZodObject, Output extends z.ZodObject | undefined>(
  definition: Omit<WorkflowToolDefinition<Input, Output>, 'kind'>,
): WorkflowToolDefinition<Input, Output> {
  return { kind: 'workflow', ...definition };
}
