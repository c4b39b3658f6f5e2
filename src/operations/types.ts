import type { OperationDefinition } from 'fhir/r4';
import type { Route } from '../core/route';
import type { Context, FhirRequest, FhirResponse } from '../core/types';

/** An operation as data: its definition drives routing and the CapabilityStatement alike. */
export interface Operation {
  definition: OperationDefinition;
  /** Resource types it applies to at type/instance level; empty for system-only operations. */
  resourceTypes: string[] | 'all';
  handler: (req: FhirRequest, route: Route, ctx: Context) => Promise<FhirResponse>;
}
