import type { Client } from '@temporalio/client';

/** Records the workflow id of every `describe()` made through `client`, until `restore()`. */
export function recordDescribes(client: Client): { described: string[]; restore: () => void } {
  const described: string[] = [];
  const getHandle = client.workflow.getHandle.bind(client.workflow);
  const spy = jest.spyOn(client.workflow, 'getHandle').mockImplementation((workflowId, ...rest) => {
    const handle = getHandle(workflowId, ...rest);
    const describe = handle.describe.bind(handle);
    handle.describe = () => {
      described.push(workflowId);
      return describe();
    };
    return handle;
  });
  return { described, restore: () => spy.mockRestore() };
}
