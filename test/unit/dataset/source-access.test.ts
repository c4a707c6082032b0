import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { openSource, resolveSource, type ResolvedSource } from '../../../activities/common/source';
import { NO_URL_SOURCES } from '../../../activities/common/url-policy';
import { makeTempDir, openDescriptors, removeTempDir, runAnalysis, runRecorded } from './helpers';

const CSV = 'a,b\n1,2\n3,4\n';

let base: string;
let root: string;
let outside: string;
beforeEach(() => {
  base = makeTempDir('dataset-access-');
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(root, 'sub', 'inside.csv'), CSV);
  fs.writeFileSync(path.join(outside, 'secret.csv'), CSV);
});
afterEach(() => removeTempDir(base));

const accessDenied = (source: string) => ({
  type: 'AccessDenied',
  nonRetryable: true,
  message: `access denied: ${source}`,
});

describe('analyzeDataset source resolution', () => {
  it('reads relative paths from the first root, including a .. that stays inside it', async () => {
    const { report } = await runRecorded(root, { source: 'sub/../sub/inside.csv' });
    expect(report.rows).toBe(2);
  });

  it.each([
    ['a ../ escape', '../outside/secret.csv'],
    ['a deeper ../ escape', 'sub/../../outside/secret.csv'],
    ['an absolute path elsewhere', '<outside>/secret.csv'],
    ['an absolute path to a system file', '/etc/passwd'],
  ])('denies %s', async (_title, template) => {
    const source = template.replace('<outside>', outside);
    await expect(runAnalysis(root, { source, format: 'csv' })).rejects.toMatchObject(accessDenied(source));
  });

  it('denies a symlink inside the root that points to a file outside it', async () => {
    fs.symlinkSync(path.join(outside, 'secret.csv'), path.join(root, 'link.csv'));
    await expect(runAnalysis(root, { source: 'link.csv' })).rejects.toMatchObject(accessDenied('link.csv'));
  });

  it('denies a path through a symlinked directory that leads outside the root', async () => {
    fs.symlinkSync(outside, path.join(root, 'escape'));
    await expect(runAnalysis(root, { source: 'escape/secret.csv' })).rejects.toMatchObject(
      accessDenied('escape/secret.csv'),
    );
  });

  it('allows a symlink that stays inside the root', async () => {
    fs.symlinkSync(path.join(root, 'sub', 'inside.csv'), path.join(root, 'alias.csv'));
    const { report } = await runRecorded(root, { source: 'alias.csv' });
    expect(report.rows).toBe(2);
  });

  it('allows absolute paths in any root, and roots that are themselves symlinks', async () => {
    const linkedRoot = path.join(base, 'linked-root');
    fs.symlinkSync(outside, linkedRoot);
    const { report } = await runRecorded([root, linkedRoot], { source: path.join(outside, 'secret.csv') });
    expect(report.rows).toBe(2);
  });

  it("names a missing file as the client gave it, never by the server's absolute path", async () => {
    await expect(runAnalysis(root, { source: 'sub/missing.csv' })).rejects.toMatchObject({
      type: 'SourceNotFound',
      nonRetryable: true,
      message: 'file not found: sub/missing.csv',
    });
  });

  it('does not reveal whether a file outside the roots exists', async () => {
    await expect(runAnalysis(root, { source: '../outside/nothing.csv' })).rejects.toMatchObject({
      type: 'AccessDenied',
    });
  });

  it('reports a directory as unreadable, naming it', async () => {
    fs.mkdirSync(path.join(root, 'folder.csv'));
    await expect(runAnalysis(root, { source: 'folder.csv' })).rejects.toMatchObject({
      type: 'SourceUnreadable',
      message: 'not a regular file: folder.csv',
    });
  });

  it.each([
    ['an http URL when URLs are not allowed', 'http://127.0.0.1:1/data.csv', 'URL sources are not enabled'],
    ['a file: URL', 'file:///etc/passwd', 'only https and http URLs'],
    ['an ftp: URL', 'ftp://example.com/data.csv', 'only https and http URLs'],
  ])('denies %s, saying why', async (_title, source, why) => {
    await expect(runAnalysis(root, { source })).rejects.toMatchObject({
      type: 'AccessDenied',
      nonRetryable: true,
      message: `access denied: ${new URL(source).href} (${why}${why.startsWith('only') ? ' are sources)' : ' on this server)'}`,
    });
  });
});

describe('opening a resolved file source', () => {
  const policy = () => ({ datasetRoots: [root], urlSources: NO_URL_SOURCES });
  const open = (source: ResolvedSource) => openSource(source, 0, new AbortController().signal);

  it('refuses a file swapped for a symlink to outside the roots after it was checked, reading nothing', async () => {
    const checked = await resolveSource('sub/inside.csv', policy());
    const file = path.join(root, 'sub', 'inside.csv');
    fs.rmSync(file);
    fs.symlinkSync(path.join(outside, 'secret.csv'), file);
    await expect(open(checked)).rejects.toMatchObject({
      type: 'AccessDenied',
      message: 'access denied: sub/inside.csv',
    });
    expect(openDescriptors(path.join(outside, 'secret.csv')) ?? 0).toBe(0);
  });

  it('refuses a directory on the path swapped for a symlink to outside the roots after the check', async () => {
    fs.mkdirSync(path.join(outside, 'sub'));
    fs.writeFileSync(path.join(outside, 'sub', 'inside.csv'), 'secret,data\n1,2\n');
    const checked = await resolveSource('sub/inside.csv', policy());
    fs.renameSync(path.join(root, 'sub'), path.join(root, 'old-sub'));
    fs.symlinkSync(path.join(outside, 'sub'), path.join(root, 'sub'));
    await expect(open(checked)).rejects.toMatchObject({ type: 'AccessDenied' });
  });

  it('reads the file it checked when nothing was swapped', async () => {
    const opened = await open(await resolveSource('sub/inside.csv', policy()));
    const chunks: Buffer[] = [];
    for await (const chunk of opened.chunks) chunks.push(chunk);
    opened.close();
    expect(Buffer.concat(chunks).toString()).toBe(CSV);
  });

  it('refuses a file swapped for a named pipe without blocking on it', async () => {
    const checked = await resolveSource('sub/inside.csv', policy());
    const file = path.join(root, 'sub', 'inside.csv');
    fs.rmSync(file);
    execFileSync('mkfifo', [file]);
    await expect(open(checked)).rejects.toMatchObject({
      type: 'SourceUnreadable',
      message: 'not a regular file: sub/inside.csv',
    });
  });
});
