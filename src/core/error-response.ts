import { FhirError, asFhirError } from '../fhir/errors';
import type { FhirResponse } from './types';

/** Every failure as an OperationOutcome with the status its category maps to. */
export function errorResponse(err: unknown): FhirResponse {
  const e = asFhirError(err);
  if (e.category === 'exception' && !(err instanceof FhirError)) {
    return { status: 500, headers: {}, body: e.toOperationOutcome(), internalError: err };
  }
  return { status: e.status, headers: { ...e.headers }, body: e.toOperationOutcome() };
}
