/** Every case of the conformance suite, in the order of the table's rows. */
import { deleteForeignCase, deleteIdempotentCase } from './cases-delete.ts';
import { abortCase, errorsClassifiedCase, validateCase } from './cases-failure.ts';
import { capabilitiesCase, drainCase, ensureIdempotentCase, nameCase, updateConvergesCase } from './cases-lifecycle.ts';
import type { ConformanceCase } from './types.ts';

export const CONFORMANCE_CASES: readonly ConformanceCase[] = [
  capabilitiesCase,
  nameCase,
  ensureIdempotentCase,
  updateConvergesCase,
  drainCase,
  deleteIdempotentCase,
  deleteForeignCase,
  errorsClassifiedCase,
  abortCase,
  validateCase,
];
