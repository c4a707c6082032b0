import type { CallToolResult, Task, Tool } from '@modelcontextprotocol/sdk/types.js';

/** Writes `value` as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A tool result as a person reads it: its text, links and, when it has no text, its structured content. */
export function resultText(result: CallToolResult): string {
  const lines = result.content.map((item) => {
    switch (item.type) {
      case 'text':
        return item.text;
      case 'resource_link':
        return `${item.name}: ${item.uri}`;
      case 'resource':
        return 'text' in item.resource
          ? item.resource.text
          : `${item.resource.uri} (${item.resource.mimeType ?? 'binary'})`;
      default:
        return `[${item.type} ${item.mimeType}]`;
    }
  });
  if (!result.content.some((item) => item.type === 'text') && result.structuredContent !== undefined) {
    lines.push(JSON.stringify(result.structuredContent, null, 2));
  }
  return lines.join('\n');
}

/** One line per task: id, status, age and status message. */
export function taskLine(task: Task): string {
  return [task.taskId, task.status.padEnd(14), task.createdAt, task.statusMessage ?? ''].join('  ').trimEnd();
}

/** A task in full, one field a line. */
export function taskDetails(task: Task): string {
  const fields: [string, unknown][] = [
    ['task', task.taskId],
    ['status', task.status],
    ['message', task.statusMessage],
    ['created', task.createdAt],
    ['updated', task.lastUpdatedAt],
    ['ttl', task.ttl === null ? 'unlimited' : `${task.ttl} ms`],
    ['poll', task.pollInterval === undefined ? undefined : `${task.pollInterval} ms`],
  ];
  return fields
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name.padEnd(8)} ${String(value)}`)
    .join('\n');
}

/** One line per tool: name, whether it runs as a task, and the first line of its description. */
export function toolLine(tool: Tool, nameWidth: number): string {
  const taskSupport = tool.execution?.taskSupport ?? 'forbidden';
  const summary = (tool.description ?? '').split('\n')[0] ?? '';
  return `${tool.name.padEnd(nameWidth)}  ${taskSupport.padEnd(9)}  ${summary}`.trimEnd();
}
