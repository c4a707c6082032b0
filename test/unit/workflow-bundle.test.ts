import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/temporal/cli-path';
import { workflowCodeSource, writeWorkflowBundle } from '../../src/temporal/workflow-bundle';

/** A project root with a compiled workflow of its own, resolving packages from this project. */
function fakeProject(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'workflow-bundle-'));
  mkdirSync(path.join(root, 'dist', 'workflows'), { recursive: true });
  mkdirSync(path.join(root, 'dist', 'common'), { recursive: true });
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  writeWorkflow(root, 'one');
  writeFileSync(path.join(root, 'dist', 'common', 'answer.js'), 'exports.answer = "one";\n');
  return root;
}

function writeWorkflow(root: string, answer: string): void {
  writeFileSync(
    path.join(root, 'dist', 'workflows', 'index.js'),
    `exports.answerWorkflow = async function answerWorkflow() { return ${JSON.stringify(answer)}; };\n`,
  );
}

describe('prebuilt workflow bundle', () => {
  let root: string;

  beforeAll(() => {
    root = fakeProject();
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('the TypeScript sources are always bundled at start', () => {
    expect(workflowCodeSource(false, root)).toEqual({ kind: 'source', reason: 'not compiled' });
  });

  test('compiled code without a bundle is bundled at start', () => {
    expect(workflowCodeSource(true, root)).toEqual({ kind: 'source', reason: 'no prebuilt bundle' });
  });

  test('the build bundles once, the worker loads it, and a change of the compiled workflows makes it stale', async () => {
    await expect(writeWorkflowBundle(root)).resolves.toBe(true);
    const source = workflowCodeSource(true, root);
    expect(source).toEqual({ kind: 'prebuilt', codePath: path.join(root, 'dist', 'workflow-bundle', 'workflows.js') });
    expect(readFileSync(path.join(root, 'dist', 'workflow-bundle', 'workflows.js'), 'utf8')).toContain(
      'answerWorkflow',
    );
    // Nothing changed: the next build keeps the bundle.
    await expect(writeWorkflowBundle(root)).resolves.toBe(false);

    writeWorkflow(root, 'two');
    expect(workflowCodeSource(true, root)).toEqual({ kind: 'source', reason: 'prebuilt bundle is stale' });
    writeFileSync(path.join(root, 'dist', 'common', 'answer.js'), 'exports.answer = "two";\n');
    await expect(writeWorkflowBundle(root)).resolves.toBe(true);
    expect(workflowCodeSource(true, root).kind).toBe('prebuilt');

    // A file imported from common/ counts as much as the workflows themselves.
    writeFileSync(path.join(root, 'dist', 'common', 'answer.js'), 'exports.answer = "three";\n');
    expect(workflowCodeSource(true, root)).toEqual({ kind: 'source', reason: 'prebuilt bundle is stale' });
  }, 180_000);
});
