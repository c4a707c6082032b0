/**
 * The questions a task asks its client (MCP `input_required` through `elicitation/create`), and a
 * validator for answers. Sandbox-safe: workflows validate answers with it in their update validator.
 */

/** A property of an elicitation form: MCP restricts forms to flat objects of primitive values. */
export type ElicitationProperty =
  | { type: 'string'; title?: string; description?: string; minLength?: number; maxLength?: number; enum?: string[] }
  | { type: 'number' | 'integer'; title?: string; description?: string; minimum?: number; maximum?: number }
  | { type: 'boolean'; title?: string; description?: string; default?: boolean };

/** MCP's `requestedSchema`. */
export interface ElicitationSchema {
  type: 'object';
  properties: Record<string, ElicitationProperty>;
  required?: string[];
}

/** A question a tool asks, before it has an id. */
export interface Question {
  message: string;
  requestedSchema: ElicitationSchema;
}

/** A question a running task waits on; the workflow records it and the MCP server delivers it. */
export interface InputRequest {
  /** Identifies this question, so that a late answer to an earlier one is refused. */
  requestId: string;
  message: string;
  requestedSchema: ElicitationSchema;
}

export type ElicitationValue = string | number | boolean | string[];

/** The client's answer, as MCP's `ElicitResult` plus the question it answers. */
export interface InputResponse {
  requestId: string;
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, ElicitationValue>;
}

/** What a tool receives back from its question. */
export type InputAnswer =
  { action: 'accept'; content: Record<string, ElicitationValue> } | { action: 'decline' | 'cancel' };

/** Every way `content` breaks `schema`, as readable sentences; empty when it is valid. */
export function validateElicitationContent(schema: ElicitationSchema, content: unknown): string[] {
  if (typeof content !== 'object' || content === null || Array.isArray(content))
    return ['the answer must be an object'];
  const values = content as Record<string, unknown>;
  const problems: string[] = [];
  for (const name of schema.required ?? []) {
    if (values[name] === undefined) problems.push(`${name} is required`);
  }
  for (const [name, value] of Object.entries(values)) {
    const property = schema.properties[name];
    if (!property) {
      problems.push(`${name} is not asked for`);
      continue;
    }
    const problem = checkProperty(property, value);
    if (problem) problems.push(`${name} ${problem}`);
  }
  return problems;
}

function checkProperty(property: ElicitationProperty, value: unknown): string | undefined {
  switch (property.type) {
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'string':
      if (typeof value !== 'string') return 'must be a string';
      if (property.minLength !== undefined && value.length < property.minLength)
        return `must be at least ${property.minLength} characters`;
      if (property.maxLength !== undefined && value.length > property.maxLength)
        return `must be at most ${property.maxLength} characters`;
      if (property.enum && !property.enum.includes(value)) return `must be one of ${property.enum.join(', ')}`;
      return undefined;
    case 'number':
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
      if (property.type === 'integer' && !Number.isInteger(value)) return 'must be an integer';
      if (property.minimum !== undefined && value < property.minimum) return `must be at least ${property.minimum}`;
      if (property.maximum !== undefined && value > property.maximum) return `must be at most ${property.maximum}`;
      return undefined;
  }
}
