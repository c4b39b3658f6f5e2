import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4';

/**
 * What went wrong, independent of transport. One table (STATUS_BY_CATEGORY) maps a category to its HTTP status,
 * so handlers never pick status codes for errors themselves.
 */
export type ErrorCategory =
  | 'invalid'          // 400: malformed request, bad parameter, unparsable body
  | 'forbidden'        // 403
  | 'not-found'        // 404
  | 'method'           // 405: interaction not supported on this path
  | 'not-acceptable'   // 406: _format / Accept we cannot produce
  | 'conflict'         // 409: version conflict without If-Match, id clash
  | 'deleted'          // 410: resource is deleted
  | 'precondition'     // 412: If-Match mismatch, conditional matched too many
  | 'too-large'        // 413
  | 'unsupported-media'// 415
  | 'unprocessable'    // 422: resource fails validation
  | 'too-costly'       // 400 with issue code too-costly (spec uses 400 for conditional overflow? we keep 412 separately)
  | 'not-supported'    // 501-like, reported as 400 per FHIR practice for unsupported features
  | 'unauthorized'     // 401
  | 'throttled'        // 429: over the caller's rate limit
  | 'unavailable'      // 503: a dependency the answer needs (the audit trail) cannot be written now
  | 'exception';       // 500

export const STATUS_BY_CATEGORY: Record<ErrorCategory, number> = {
  invalid: 400,
  unauthorized: 401,
  throttled: 429,
  unavailable: 503,
  forbidden: 403,
  'not-found': 404,
  method: 405,
  'not-acceptable': 406,
  conflict: 409,
  deleted: 410,
  precondition: 412,
  'too-large': 413,
  'unsupported-media': 415,
  unprocessable: 422,
  'too-costly': 400,
  'not-supported': 400,
  exception: 500,
};

/** The OperationOutcome issue code used when an error does not name one itself. */
const ISSUE_CODE_BY_CATEGORY: Record<ErrorCategory, OperationOutcomeIssue['code']> = {
  invalid: 'invalid',
  unauthorized: 'login',
  throttled: 'throttled',
  unavailable: 'transient',
  forbidden: 'forbidden',
  'not-found': 'not-found',
  method: 'not-supported',
  'not-acceptable': 'not-supported',
  conflict: 'conflict',
  deleted: 'deleted',
  precondition: 'conflict',
  'too-large': 'too-long',
  'unsupported-media': 'not-supported',
  unprocessable: 'processing',
  'too-costly': 'too-costly',
  'not-supported': 'not-supported',
  exception: 'exception',
};

export interface IssueInit {
  code?: OperationOutcomeIssue['code'];
  severity?: OperationOutcomeIssue['severity'];
  diagnostics: string;
  expression?: string[];
}

/** The single error type of the server: a category plus one or more OperationOutcome issues. */
export class FhirError extends Error {
  readonly category: ErrorCategory;
  readonly issues: OperationOutcomeIssue[];
  /** Set by the store when the error arose in one op of a multi-op commit (a transaction entry). */
  opIndex?: number;
  /** Response headers the error needs (`WWW-Authenticate` on a 401, `Retry-After` on a 429). */
  headers?: Record<string, string>;

  constructor(category: ErrorCategory, issue: string | IssueInit, more: IssueInit[] = []) {
    const first: IssueInit = typeof issue === 'string' ? { diagnostics: issue } : issue;
    super(first.diagnostics);
    this.name = 'FhirError';
    this.category = category;
    this.issues = [first, ...more].map((i) => toIssue(category, i));
  }

  get status(): number {
    return STATUS_BY_CATEGORY[this.category];
  }

  toOperationOutcome(): OperationOutcome {
    return { resourceType: 'OperationOutcome', issue: this.issues };
  }
}

function toIssue(category: ErrorCategory, i: IssueInit): OperationOutcomeIssue {
  const issue: OperationOutcomeIssue = {
    severity: i.severity ?? 'error',
    code: i.code ?? ISSUE_CODE_BY_CATEGORY[category],
    diagnostics: i.diagnostics,
  };
  if (i.expression && i.expression.length > 0) issue.expression = i.expression;
  return issue;
}

export function operationOutcome(
  severity: OperationOutcomeIssue['severity'],
  code: OperationOutcomeIssue['code'],
  diagnostics: string,
  expression?: string[],
): OperationOutcome {
  const issue: OperationOutcomeIssue = { severity, code, diagnostics };
  if (expression) issue.expression = expression;
  return { resourceType: 'OperationOutcome', issue: [issue] };
}

/** Any thrown value as a FhirError; unknown errors become a 500 `exception` whose text never reaches the client. */
export function asFhirError(err: unknown): FhirError {
  if (err instanceof FhirError) return err;
  return new FhirError('exception', 'Internal server error');
}

export const invalid = (diagnostics: string, expression?: string[]): FhirError =>
  new FhirError('invalid', { diagnostics, expression });
