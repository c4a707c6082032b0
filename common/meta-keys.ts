/** `_meta` keys the product adds to tool results. Sandbox-safe. */

/** Tells how a dataset analysis ran: attempts and the byte offset a retry resumed from. */
export const DATASET_RUN_META_KEY = 'io.github.durable-mcp-tasks/dataset-run';
