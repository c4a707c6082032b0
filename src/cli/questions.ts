import { confirm, input, number, select } from '@inquirer/prompts';
import type { ElicitRequest, ElicitResult, PrimitiveSchemaDefinition } from '@modelcontextprotocol/sdk/types.js';

type FormRequest = Extract<ElicitRequest['params'], { requestedSchema: unknown }>;
type Answer = NonNullable<ElicitResult['content']>[string];

/** What a question needs from the command around it. */
export interface QuestionHooks {
  /** Called before a question is shown (to take the progress bar off the screen) and after. */
  beforeAsking(): void;
  afterAsking(): void;
  /** Ctrl-C during a question: the same as Ctrl-C anywhere else. */
  onInterrupt(): void;
}

/**
 * Asks the server's `elicitation/create` questions at the terminal: a yes/no prompt when the form is a
 * single boolean ("Confirm deletion of 3 records?"), else one prompt per field of the schema. A server
 * may ask the same question on two streams at once (the `tasks/result` stream and the standalone one):
 * the person sees it once, and both requests get the answer.
 */
export class TerminalQuestions {
  private readonly open = new Map<string, Promise<ElicitResult>>();

  constructor(private readonly hooks: QuestionHooks) {}

  ask(request: ElicitRequest, signal: AbortSignal): Promise<ElicitResult> {
    const params = request.params;
    if (!('requestedSchema' in params)) {
      return Promise.resolve({ action: 'decline' });
    }
    if (!process.stdin.isTTY) {
      process.stderr.write(`The server asks "${params.message}", but stdin is not a terminal: declined.\n`);
      return Promise.resolve({ action: 'decline' });
    }
    const key = JSON.stringify([params.message, params.requestedSchema]);
    const asked = this.open.get(key);
    if (asked) return asked;
    const answer = this.askForm(params, signal).finally(() => this.open.delete(key));
    this.open.set(key, answer);
    return answer;
  }

  private async askForm(params: FormRequest, signal: AbortSignal): Promise<ElicitResult> {
    this.hooks.beforeAsking();
    try {
      const fields = Object.entries(params.requestedSchema.properties);
      const only = fields.length === 1 ? fields[0] : undefined;
      if (only && only[1].type === 'boolean') {
        const yes = await confirm({ message: params.message, default: only[1].default ?? false }, { signal });
        return { action: 'accept', content: { [only[0]]: yes } };
      }
      process.stderr.write(`${params.message}\n`);
      const required = new Set(params.requestedSchema.required ?? []);
      const content: Record<string, Answer> = {};
      for (const [name, field] of fields) {
        const value = await askField(name, field, required.has(name), signal);
        if (value !== undefined) content[name] = value;
      }
      return { action: 'accept', content };
    } catch (error) {
      if (error instanceof Error && error.name === 'ExitPromptError') {
        this.hooks.onInterrupt();
        return { action: 'cancel' };
      }
      throw error;
    } finally {
      this.hooks.afterAsking();
    }
  }
}

async function askField(
  name: string,
  field: PrimitiveSchemaDefinition,
  required: boolean,
  signal: AbortSignal,
): Promise<Answer | undefined> {
  const message = field.title ?? name;
  const context = { signal };
  if (field.type === 'boolean') {
    return confirm({ message, default: field.default ?? false }, context);
  }
  if (field.type === 'number' || field.type === 'integer') {
    const value = await number(
      {
        message,
        required,
        min: field.minimum,
        max: field.maximum,
        step: field.type === 'integer' ? 1 : 'any',
        default: field.default,
      },
      context,
    );
    return value;
  }
  if (field.type === 'string') {
    const choices = stringChoices(field);
    if (choices) return select({ message, choices, default: field.default }, context);
    const value = await input(
      {
        message,
        required,
        default: field.default,
        validate: (text) =>
          'minLength' in field || 'maxLength' in field ? validLength(text, field.minLength, field.maxLength) : true,
      },
      context,
    );
    return value === '' && !required ? undefined : value;
  }
  // Multi-select (an array of enum values): comma-separated, as a terminal can take it.
  const text = await input({ message: `${message} (comma-separated)`, required }, context);
  return text === '' ? undefined : text.split(',').map((item) => item.trim());
}

function stringChoices(field: PrimitiveSchemaDefinition): { name: string; value: string }[] | undefined {
  if ('oneOf' in field && Array.isArray(field.oneOf)) {
    return field.oneOf.map((option) => ({ name: option.title, value: option.const }));
  }
  if ('enum' in field && Array.isArray(field.enum)) {
    const names = 'enumNames' in field && Array.isArray(field.enumNames) ? field.enumNames : undefined;
    return field.enum.map((value, index) => ({ name: names?.[index] ?? value, value }));
  }
  return undefined;
}

function validLength(text: string, min: number | undefined, max: number | undefined): true | string {
  if (min !== undefined && text.length > 0 && text.length < min) return `At least ${min} characters.`;
  if (max !== undefined && text.length > max) return `At most ${max} characters.`;
  return true;
}
