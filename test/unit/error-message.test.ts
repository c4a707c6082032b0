import { runInNewContext } from 'node:vm';
import { errorMessage, isErrorLike } from '../../common/error-message';

describe('errorMessage', () => {
  it('reads the message of an error made in another realm, without its name in front', () => {
    const foreign: unknown = runInNewContext(
      '(() => { class SqliteError extends Error {} ; const e = new SqliteError("poisoned row"); e.name = "SqliteError"; return e; })()',
    );
    expect(foreign instanceof Error).toBe(false);
    expect(String(foreign)).toBe('SqliteError: poisoned row');
    expect(errorMessage(foreign)).toBe('poisoned row');
    expect(isErrorLike(foreign)).toBe(true);
  });

  it.each([
    ['a string', 'boom', 'boom'],
    ['a number', 42, '42'],
    ['null', null, 'null'],
  ])('falls back to String() for %s', (_label, value, expected) => {
    expect(errorMessage(value)).toBe(expected);
    expect(isErrorLike(value)).toBe(false);
  });
});
