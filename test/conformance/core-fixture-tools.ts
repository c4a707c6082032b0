import { proxyActivities } from '@temporalio/workflow';
import { z } from 'zod';
import type { InputAnswer, Question } from '../../common/elicitation';
import type { ToolCallResult, ToolWorkflowInput } from '../../common/task-types';
import { defineWorkflowTool } from '../../common/tool-definition';
import { answersBeforeStart, runToolTask } from '../../workflows/task-lifecycle';
import type { LongRunningOperationActivities } from '../../workflows/tools/long-running-operation';

/**
 * The tools the suite's core scenarios call (tools-call-*, json-schema-2020-12, input-required-result-*,
 * server-stateless), as real workflows on the product's engine like the Tasks fixtures: each call is a
 * durable workflow run, and questions before start go through the product's MRTR rounds and sealed
 * `requestState`. Sandbox-safe: this module is bundled for the worker.
 */

const text = (value: string): ToolCallResult => ({ content: [{ type: 'text', text: value }] });
const NoArgsSchema = z.object({});
type NoArgsInput = ToolWorkflowInput<z.output<typeof NoArgsSchema>>;

/** A 1×1 red PNG. */
const RED_PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC';
/** One millisecond of silence: 8 kHz, mono, 8-bit PCM. */
const SILENT_WAV = 'UklGRiwAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQgAAACAgICAgICAgA==';

export async function simpleTextWorkflow(): Promise<ToolCallResult> {
  return runToolTask(async () => text('This is a simple text response for testing.'));
}

export async function imageContentWorkflow(): Promise<ToolCallResult> {
  return runToolTask(async () => ({ content: [{ type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' }] }));
}

export async function audioContentWorkflow(): Promise<ToolCallResult> {
  return runToolTask(async () => ({ content: [{ type: 'audio', data: SILENT_WAV, mimeType: 'audio/wav' }] }));
}

export async function embeddedResourceWorkflow(): Promise<ToolCallResult> {
  return runToolTask(async () => ({
    content: [
      {
        type: 'resource',
        resource: {
          uri: 'test://embedded-resource',
          mimeType: 'text/plain',
          text: 'This is an embedded resource content.',
        },
      },
    ],
  }));
}

export async function multipleContentTypesWorkflow(): Promise<ToolCallResult> {
  return runToolTask(async () => ({
    content: [
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' },
      {
        type: 'resource',
        resource: {
          uri: 'test://mixed-content-resource',
          mimeType: 'application/json',
          text: JSON.stringify({ test: 'data', value: 123 }),
        },
      },
    ],
  }));
}

/** A tool error is a result (`isError`), not a JSON-RPC error: the model reads it. */
export async function errorHandlingWorkflow(): Promise<ToolCallResult> {
  return runToolTask(async () => ({
    content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }],
    isError: true,
  }));
}

// The product's own heartbeating activity (long_running_operation's), registered on the fixtures' worker.
const { runTimedSteps } = proxyActivities<LongRunningOperationActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '10 seconds',
  cancellationType: 'WAIT_CANCELLATION_COMPLETED',
});

/**
 * Works in heartbeated steps 1.5 s apart, so that a synchronous call with a `progressToken` sees
 * each step as a progress notification (the server reads heartbeats every poll interval).
 */
export async function progressWorkflow(): Promise<ToolCallResult> {
  return runToolTask(async () => {
    const { stepsRun } = await runTimedSteps({ durationSeconds: PROGRESS_STEPS * 1.5, steps: PROGRESS_STEPS });
    return text(`Done: ${stepsRun} steps, progress reported after each.`);
  });
}
const PROGRESS_STEPS = 4;

/** JSON Schema 2020-12 arguments that zod cannot express: `$defs` with `$anchor`, `allOf`/`anyOf`, `if`/`then`/`else`. */
const CONTACT_JSON_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: {
    address: {
      $anchor: 'addressDef',
      type: 'object',
      properties: { street: { type: 'string' }, city: { type: 'string' } },
    },
  },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
    contactMethod: { type: 'string', enum: ['phone', 'email'] },
    phone: { type: 'string' },
    email: { type: 'string' },
  },
  allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
  if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
  then: { required: ['phone'] },
  else: { required: ['email'] },
  additionalProperties: false,
} as const;

/** Accepts what {@link CONTACT_JSON_SCHEMA} accepts: a phone when phone is the method, else an email. */
const ContactArgsSchema = z
  .strictObject({
    name: z.string().optional(),
    address: z.object({ street: z.string().optional(), city: z.string().optional() }).optional(),
    contactMethod: z.enum(['phone', 'email']).optional(),
    phone: z.string().optional(),
    email: z.string().optional(),
  })
  .refine((args) => (args.contactMethod === 'phone' ? args.phone !== undefined : args.email !== undefined), {
    message: 'phone is required when contactMethod is phone, email otherwise',
  });

export async function contactWorkflow(
  input: ToolWorkflowInput<z.output<typeof ContactArgsSchema>>,
): Promise<ToolCallResult> {
  return runToolTask(async () => {
    const { name, contactMethod, phone, email } = input.arguments;
    const how = contactMethod === 'phone' ? `phone ${phone ?? ''}` : `email ${email ?? ''}`;
    return text(`Contact ${name ?? 'without a name'} by ${how}.`);
  });
}

const NAME_QUESTION: Question = {
  message: 'What is your name?',
  requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
};
const CONFIRM_QUESTION: Question = {
  message: 'Please confirm',
  requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
};
const accepted = (answer: InputAnswer | undefined, field: string): unknown =>
  answer?.action === 'accept' ? answer.content[field] : undefined;

const ASK_NAME = { user_name: NAME_QUESTION };
export async function askNameWorkflow(input: NoArgsInput): Promise<ToolCallResult> {
  return runToolTask(async (state) => {
    const { user_name: answer } = await answersBeforeStart(state, input, ASK_NAME);
    const name = accepted(answer, 'name');
    return text(typeof name === 'string' ? `Hello, ${name}!` : 'Hello, stranger!');
  });
}

const ASK_CONFIRM = { confirm: CONFIRM_QUESTION };
/** Runs only with answers carried by a `requestState` this server sealed and then verified. */
export async function askConfirmWorkflow(input: NoArgsInput): Promise<ToolCallResult> {
  return runToolTask(async (state) => {
    const { confirm: answer } = await answersBeforeStart(state, input, ASK_CONFIRM);
    const ok = accepted(answer, 'ok') === true;
    return text(`state-ok: the sealed request state was verified; ${ok ? 'confirmed' : 'not confirmed'}.`);
  });
}

/** Two rounds: the colour is asked only once the name is known. */
function twoStepQuestions(answers: Readonly<Record<string, InputAnswer>>): Record<string, Question> {
  return {
    step1: { ...NAME_QUESTION, message: 'Step 1: What is your name?' },
    ...(answers.step1 !== undefined && {
      step2: {
        message: 'Step 2: What is your favorite color?',
        requestedSchema: { type: 'object', properties: { color: { type: 'string' } }, required: ['color'] },
      },
    }),
  };
}
export async function twoStepWorkflow(input: NoArgsInput): Promise<ToolCallResult> {
  return runToolTask(async (state) => {
    const answers = await answersBeforeStart(state, input, twoStepQuestions);
    const name = accepted(answers.step1, 'name');
    const color = accepted(answers.step2, 'color');
    return text(
      `${typeof name === 'string' ? name : 'Someone'} likes ${typeof color === 'string' ? color : 'no colour'}.`,
    );
  });
}

const syncTool = {
  taskSupport: 'forbidden',
  outputSchema: undefined,
  defaultTimeLimitSeconds: 60,
} as const;

/** The core scenarios' tools, in `tools/list` order after the Tasks fixtures. */
export const CORE_FIXTURE_TOOLS = [
  defineWorkflowTool({
    ...syncTool,
    name: 'test_simple_text',
    title: 'Simple text',
    description: 'Returns one text block.',
    inputSchema: NoArgsSchema,
    workflow: simpleTextWorkflow,
  }),
  defineWorkflowTool({
    ...syncTool,
    name: 'test_image_content',
    title: 'Image content',
    description: 'Returns a 1×1 PNG image.',
    inputSchema: NoArgsSchema,
    workflow: imageContentWorkflow,
  }),
  defineWorkflowTool({
    ...syncTool,
    name: 'test_audio_content',
    title: 'Audio content',
    description: 'Returns a short WAV clip.',
    inputSchema: NoArgsSchema,
    workflow: audioContentWorkflow,
  }),
  defineWorkflowTool({
    ...syncTool,
    name: 'test_embedded_resource',
    title: 'Embedded resource',
    description: 'Returns a text resource embedded in the result.',
    inputSchema: NoArgsSchema,
    workflow: embeddedResourceWorkflow,
  }),
  defineWorkflowTool({
    ...syncTool,
    name: 'test_multiple_content_types',
    title: 'Multiple content types',
    description: 'Returns text, an image and an embedded resource.',
    inputSchema: NoArgsSchema,
    workflow: multipleContentTypesWorkflow,
  }),
  defineWorkflowTool({
    ...syncTool,
    name: 'test_error_handling',
    title: 'Error handling',
    description: 'Always reports a tool error (isError).',
    inputSchema: NoArgsSchema,
    workflow: errorHandlingWorkflow,
  }),
  defineWorkflowTool({
    ...syncTool,
    name: 'test_tool_with_progress',
    title: 'Progress',
    description: 'Works six seconds in four steps and reports progress after each (with a progressToken).',
    inputSchema: NoArgsSchema,
    workflow: progressWorkflow,
  }),
  defineWorkflowTool({
    ...syncTool,
    name: 'json_schema_2020_12_tool',
    title: 'JSON Schema 2020-12',
    description: 'Tool with JSON Schema 2020-12 features',
    inputSchema: ContactArgsSchema,
    inputJsonSchema: CONTACT_JSON_SCHEMA,
    workflow: contactWorkflow,
  }),
  defineWorkflowTool({
    ...syncTool,
    name: 'test_input_required_result_elicitation',
    title: 'Asks a name first',
    description: 'Asks your name before it starts (MRTR), then says hello.',
    inputSchema: NoArgsSchema,
    questionsBeforeStart: () => ASK_NAME,
    workflow: askNameWorkflow,
  }),
  defineWorkflowTool({
    ...syncTool,
    name: 'test_streaming_elicitation',
    title: 'Asks a name first (stateless stream)',
    description: 'Asks your name before it starts, as a result on its own stream, never as a request.',
    inputSchema: NoArgsSchema,
    questionsBeforeStart: () => ASK_NAME,
    workflow: askNameWorkflow,
  }),
  ...(['test_input_required_result_request_state', 'test_input_required_result_tampered_state'] as const).map((name) =>
    defineWorkflowTool({
      ...syncTool,
      name,
      title: 'Asks a confirmation first',
      description: 'Asks for a confirmation before it starts; the answer travels in a sealed requestState.',
      inputSchema: NoArgsSchema,
      questionsBeforeStart: () => ASK_CONFIRM,
      workflow: askConfirmWorkflow,
    }),
  ),
  defineWorkflowTool({
    ...syncTool,
    name: 'test_input_required_result_multi_round',
    title: 'Asks in two rounds',
    description: 'Asks your name, then (knowing it) your favourite colour, before it starts.',
    inputSchema: NoArgsSchema,
    questionsBeforeStart: (_args, answers) => twoStepQuestions(answers),
    workflow: twoStepWorkflow,
  }),
];
