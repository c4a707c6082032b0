import { LOCAL_TENANT } from '../../common/task-types';
import { invalidInput } from '../common/failures';
import type { MemoryScope } from './types';

/** Longest tenant name accepted; a claim value longer than this is not an identifier. */
export const TENANT_MAX_LENGTH = 512;

/**
 * The tenant an activity works for. Absent only for activities scheduled before tenants existed, which
 * all belonged to the local tenant. Anything but a non-empty string of at most 512 characters is a
 * non-retryable `InvalidInput`: guessing a tenant could show one tenant another's decisions.
 */
export function tenantOf(scope: MemoryScope | undefined): string {
  if (scope === undefined) return LOCAL_TENANT;
  const tenant: unknown = (scope as { tenant?: unknown }).tenant;
  if (typeof tenant !== 'string' || tenant === '' || tenant.length > TENANT_MAX_LENGTH) {
    throw invalidInput(
      `the memory scope needs a tenant: a non-empty string of at most ${TENANT_MAX_LENGTH} characters`,
    );
  }
  return tenant;
}
