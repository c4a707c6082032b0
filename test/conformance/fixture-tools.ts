import { ApplicationFailure, patched, sleep } from '@temporalio/workflow';
import { z } from 'zod';
import { defineWorkflowTool } from '../../common/tool-definition';
import type { ToolCallResult, ToolWorkflowInput } from '../../common/task-types';
import type { Question } from '../../common/elicitation';
import { answersBeforeStart, runToolTask } from '../../workflows/task-lifecycle';
import { CORE_FIXTURE_TOOLS } from './core-fixture-tools';

/**
 * The tools the official conformance suite calls (its Tasks scenarios), as real workflows on the
 * product's engine: durable, cancellable through Temporal, asking questions through the same
 * `input_required` machinery as the product's tools. Sandbox-safe: this module is bundled for the worker.
 */

const text = (value: string): ToolCallResult => ({ content: [{ type: 'text', text: value }] });

const GreetArgsSchema = z.object({ name: z.string() });
export async function greetWorkflow(
  input: ToolWorkflowInput<z.output<typeof GreetArgsSchema>>,
): Promise<ToolCallResult> {
  return runToolTask(async () => text(`Hello, ${input.arguments.name}!`));
}

const SlowComputeArgsSchema = z.object({
  seconds: z.number().int().min(0).max(3600).optional(),
  label: z.string().optional(),
});
export async function slowComputeWorkflow(
  input: ToolWorkflowInput<z.output<typeof SlowComputeArgsSchema>>,
): Promise<ToolCallResult> {
  return runToolTask(async () => {
    const seconds = input.arguments.seconds ?? 1;
    // A durable timer: a cancel interrupts it at once.
    if (seconds > 0) await sleep(seconds * 1000);
    return text(`Computed ${input.arguments.label ?? 'result'} after ${seconds} seconds.`);
  });
}

export async function failingJobWorkflow(): Promise<ToolCallResult> {
  return runToolTask(async () => {
    await sleep(1000);
    return { content: [{ type: 'text', text: 'The job failed: the fixture always fails.' }], isError: true };
  });
}

export async function protocolErrorJobWorkflow(): Promise<ToolCallResult> {
  return runToolTask(async () => {
    // Not a client-facing failure type: the task ends failed with a JSON-RPC error, not a tool result.
    throw ApplicationFailure.create({ type: 'FixtureProtocolError', message: 'protocol error', nonRetryable: true });
  });
}

const ConfirmDeleteArgsSchema = z.object({ filename: z.string().optional() });
export async function confirmDeleteWorkflow(
  input: ToolWorkflowInput<z.output<typeof ConfirmDeleteArgsSchema>>,
): Promise<ToolCallResult> {
  return runToolTask(async (state) => {
    const filename = input.arguments.filename ?? 'the file';
    const answer = await state.requestInput(`Delete ${filename}?`, {
      type: 'object',
      properties: { confirm: { type: 'boolean', title: `Delete ${filename}` } },
      required: ['confirm'],
    });
    const confirmed = answer.action === 'accept' && answer.content.confirm === true;
    return text(confirmed ? `Deleted ${filename}.` : `Kept ${filename}.`);
  });
}

/** Patch id: `multi_input` asks its two questions together. */
const ASK_TOGETHER_PATCH = 'multi-input-asks-together';

// The suite answers each of the two keys, whichever it is, with `{name, confirm}`: both forms take both.
const NAME_QUESTION: Question = {
  message: 'Your name?',
  requestedSchema: { type: 'object', properties: { name: { type: 'string' }, confirm: { type: 'boolean' } } },
};
const CONFIRM_QUESTION: Question = {
  message: 'Confirm?',
  requestedSchema: {
    type: 'object',
    properties: { confirm: { type: 'boolean' }, name: { type: 'string' } },
    required: ['confirm'],
  },
};

/**
 * Asks two questions at once: both are outstanding together and each may be answered on its own.
 * Executions started before that asked them one after the other, and still replay that way.
 */
export async function multiInputWorkflow(): Promise<ToolCallResult> {
  return runToolTask(async (state) => {
    const [name, confirm] = patched(ASK_TOGETHER_PATCH)
      ? await state.requestInputs([NAME_QUESTION, CONFIRM_QUESTION])
      : [
          await state.requestInput(NAME_QUESTION.message, NAME_QUESTION.requestedSchema),
          await state.requestInput(CONFIRM_QUESTION.message, CONFIRM_QUESTION.requestedSchema),
        ];
    const who = name?.action === 'accept' && typeof name.content.name === 'string' ? name.content.name : 'someone';
    const yes = confirm?.action === 'accept' && confirm.content.confirm === true;
    return text(`${who} ${yes ? 'confirmed' : 'did not confirm'}.`);
  });
}
/** Asked before the task exists on 2026-07-28 (MRTR); inside the task on 2025-11-25. */
const TOOL_WITH_TASK_QUESTIONS: Record<string, Question> = {
  user_name: {
    message: 'What is your name?',
    requestedSchema: { type: 'object', properties: { name: { type: 'string', minLength: 1 } }, required: ['name'] },
  },
};

export async function testToolWithTaskWorkflow(
  input: ToolWorkflowInput<Record<string, never>>,
): Promise<ToolCallResult> {
  return runToolTask(async (state) => {
    const { user_name: answer } = await answersBeforeStart(state, input, TOOL_WITH_TASK_QUESTIONS);
    const name =
      answer?.action === 'accept' && typeof answer.content.name === 'string' ? answer.content.name : undefined;
    return text(name === undefined ? 'Hello from a task, stranger.' : `Hello from a task, ${name}.`);
  });
}

const NoArgsSchema = z.object({});

/** Every fixture tool, in `tools/list` order: the Tasks scenarios' tools, then the core scenarios'. */
export const FIXTURE_TOOLS = [
  defineWorkflowTool({
    name: 'greet',
    title: 'Greet',
    description: 'Says hello, synchronously.',
    inputSchema: GreetArgsSchema,
    outputSchema: undefined,
    taskSupport: 'forbidden',
    defaultTimeLimitSeconds: 60,
    workflow: greetWorkflow,
  }),
  defineWorkflowTool({
    name: 'slow_compute',
    title: 'Slow compute',
    description: 'Waits `seconds` (a task when the client allows one; 0 answers at once).',
    inputSchema: SlowComputeArgsSchema,
    outputSchema: undefined,
    taskSupport: 'optional',
    isQuickCall: (args) => (args.seconds ?? 1) < 1,
    defaultTimeLimitSeconds: 3700,
    workflow: slowComputeWorkflow,
  }),
  defineWorkflowTool({
    name: 'failing_job',
    title: 'Failing job',
    description: 'Runs only as a task; after a second it reports a tool error.',
    inputSchema: NoArgsSchema,
    outputSchema: undefined,
    taskSupport: 'required',
    defaultTimeLimitSeconds: 60,
    workflow: failingJobWorkflow,
  }),
  defineWorkflowTool({
    name: 'protocol_error_job',
    title: 'Protocol error job',
    description: 'Runs only as a task and ends failed with a JSON-RPC error.',
    inputSchema: NoArgsSchema,
    outputSchema: undefined,
    taskSupport: 'required',
    defaultTimeLimitSeconds: 60,
    workflow: protocolErrorJobWorkflow,
  }),
  defineWorkflowTool({
    name: 'confirm_delete',
    title: 'Confirm delete',
    description: 'Runs only as a task; asks for confirmation before "deleting".',
    inputSchema: ConfirmDeleteArgsSchema,
    outputSchema: undefined,
    taskSupport: 'required',
    asksDuringTask: true,
    defaultTimeLimitSeconds: 600,
    workflow: confirmDeleteWorkflow,
  }),
  defineWorkflowTool({
    name: 'multi_input',
    title: 'Multi input',
    description: 'Runs only as a task; asks two questions at once.',
    inputSchema: NoArgsSchema,
    outputSchema: undefined,
    taskSupport: 'required',
    asksDuringTask: true,
    defaultTimeLimitSeconds: 600,
    workflow: multiInputWorkflow,
  }),
  defineWorkflowTool({
    name: 'test_tool_with_task',
    title: 'Tool with task',
    description: 'Runs only as a task, once it knows your name (asked before the task starts).',
    inputSchema: NoArgsSchema,
    outputSchema: undefined,
    taskSupport: 'required',
    questionsBeforeStart: () => TOOL_WITH_TASK_QUESTIONS,
    defaultTimeLimitSeconds: 60,
    workflow: testToolWithTaskWorkflow,
  }),
  ...CORE_FIXTURE_TOOLS,
];
