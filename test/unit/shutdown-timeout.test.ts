import { DEFAULT_SHUTDOWN_TIMEOUT_MS, shutdownTimeoutMs } from '../../src/shutdown';

describe('SHUTDOWN_TIMEOUT_MS', () => {
  it('defaults to 15 seconds', () => {
    expect(shutdownTimeoutMs({})).toBe(DEFAULT_SHUTDOWN_TIMEOUT_MS);
    expect(DEFAULT_SHUTDOWN_TIMEOUT_MS).toBe(15_000);
  });

  it('takes a positive number of milliseconds', () => {
    expect(shutdownTimeoutMs({ SHUTDOWN_TIMEOUT_MS: '2500' })).toBe(2500);
  });

  it.each(['0', '-1', '1.5', 'soon'])('refuses %j, naming the variable', (value) => {
    expect(() => shutdownTimeoutMs({ SHUTDOWN_TIMEOUT_MS: value })).toThrow(/SHUTDOWN_TIMEOUT_MS/);
  });
});
