/**
 * ARM's error answers: every failure leaves the server as `{"error":{"code","message"}}`
 * (ARM's CloudError) with the status ARM uses. Handlers throw {@link ArmError}; the server
 * turns it into the response.
 *
 * Codes and messages follow what ARM and the network resource provider answer. Where the
 * exact code of a rule this server enforces could not be confirmed from public material,
 * the constructor says so in its comment; those keep ARM's status and shape.
 */
import type { JsonObject } from './json.ts';

export interface ArmErrorDetail {
  readonly code: string;
  readonly message: string;
  readonly target?: string;
  readonly details?: readonly ArmErrorDetail[];
}

export interface ArmErrorOptions {
  /** Nested details, as ARM nests the cause of a validation failure. */
  readonly details?: readonly ArmErrorDetail[];
  /** Extra response headers (Retry-After on throttling, WWW-Authenticate on 401). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A failure answered in ARM's shape with `status`. */
export class ArmError extends Error {
  override readonly name = 'ArmError';
  readonly status: number;
  readonly code: string;
  readonly details: readonly ArmErrorDetail[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: string, message: string, options: ArmErrorOptions = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  /** The body ARM sends: `{ error: { code, message, details? } }`. */
  toBody(): JsonObject {
    const error: JsonObject = { code: this.code, message: this.message };
    if (this.details) error['details'] = this.details.map(detailJson);
    return { error };
  }
}

function detailJson(d: ArmErrorDetail): JsonObject {
  const out: JsonObject = { code: d.code, message: d.message };
  if (d.target !== undefined) out['target'] = d.target;
  if (d.details) out['details'] = d.details.map(detailJson);
  return out;
}

/** Guard that also works across copies of this module. */
export function isArmError(e: unknown): e is ArmError {
  return e instanceof ArmError || (e instanceof Error && e.name === 'ArmError' && 'status' in e && 'code' in e);
}

export function missingApiVersion(): ArmError {
  return new ArmError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
}

export function invalidApiVersion(value: string): ArmError {
  return new ArmError(
    400,
    'InvalidApiVersionParameter',
    `The api-version '${value}' is invalid. The supported versions are dates in the form 'yyyy-mm-dd', optionally followed by '-preview'.`,
  );
}

export function authenticationFailed(reason: string): ArmError {
  return new ArmError(401, 'AuthenticationFailed', `Authentication failed. ${reason}`, {
    headers: { 'WWW-Authenticate': 'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The authentication failed because of missing \'Authorization\' header."' },
  });
}

export function invalidAuthenticationToken(reason: string, code = 'InvalidAuthenticationToken'): ArmError {
  return new ArmError(401, code, reason, {
    headers: { 'WWW-Authenticate': `Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="${reason.replace(/"/g, "'")}"` },
  });
}

export function subscriptionNotFound(subscriptionId: string): ArmError {
  return new ArmError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
}

export function resourceGroupNotFound(resourceGroup: string): ArmError {
  return new ArmError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`);
}

/** `typePath` is the type with names, e.g. `Microsoft.Network/loadBalancers/lb1/backendAddressPools/p`. */
export function resourceNotFound(typePath: string, resourceGroup: string): ArmError {
  return new ArmError(
    404,
    'ResourceNotFound',
    `The Resource '${typePath}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

export function parentResourceNotFound(parentName: string): ArmError {
  return new ArmError(404, 'ParentResourceNotFound', `Can not perform requested operation on nested resource. Parent resource '${parentName}' not found.`);
}

export function preconditionFailed(message: string): ArmError {
  return new ArmError(412, 'PreconditionFailed', message);
}

export function invalidRequestContent(reason: string): ArmError {
  return new ArmError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: '${reason}'.`);
}

/** A value the resource provider cannot parse (unknown enum value, wrong type, missing required property). */
export function invalidRequestFormat(path: string, problem: string): ArmError {
  return new ArmError(400, 'InvalidRequestFormat', 'Cannot parse the request.', {
    details: [{ code: 'InvalidJson', message: `${problem} Path '${path}'.` }],
  });
}

export function invalidResourceReference(referencedId: string, referrerId: string): ArmError {
  return new ArmError(
    400,
    'InvalidResourceReference',
    `Resource ${referencedId} referenced by resource ${referrerId} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
  );
}

export function linkedInvalidPropertyId(id: string, path: string): ArmError {
  return new ArmError(
    400,
    'LinkedInvalidPropertyId',
    `Property id '${id}' at path '${path}' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{subscriptionId}' or '/providers/{resourceProviderNamespace}/'.`,
  );
}

export function invalidResourceName(name: string, maxLength = 80): ArmError {
  return new ArmError(
    400,
    'InvalidResourceName',
    `Resource name ${name} is invalid. The name can be up to ${maxLength} characters long. It must begin with a word character, and it must end with a word character or with '_'. The name may contain word characters or '.', '-', '_'.`,
  );
}

export function locationRequired(): ArmError {
  return new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
}

export function invalidResourceLocation(name: string, existing: string, requested: string, resourceGroup: string): ArmError {
  return new ArmError(
    400,
    'InvalidResourceLocation',
    `The resource '${name}' already exists in location '${existing}' in resource group '${resourceGroup}'. A resource with the same name cannot be created in location '${requested}'. Please select a new resource name.`,
  );
}

export function anotherOperationInProgress(operationUrl: string): ArmError {
  return new ArmError(
    409,
    'AnotherOperationInProgress',
    `Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: ${operationUrl}.`,
  );
}

export function publicIpInUse(publicIpId: string, userId: string): ArmError {
  return new ArmError(
    400,
    'PublicIPAddressInUse',
    `Public IP address ${publicIpId} can not be deleted since it is still allocated to resource ${userId}. In order to delete the public IP, disassociate/detach the Public IP address from the resource.`,
  );
}

/**
 * A rule this server enforces whose exact ARM code was not confirmed from public material;
 * status 400 and ARM's shape, with a descriptive code.
 */
export function badRequest(code: string, message: string): ArmError {
  return new ArmError(400, code, message);
}

export function tooManyRequests(retryAfterSeconds: number): ArmError {
  return new ArmError(429, 'TooManyRequests', `The request is being throttled. Please retry after ${retryAfterSeconds} seconds.`, {
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
}

export function serverError(status: number): ArmError {
  const code = status === 503 ? 'ServiceUnavailable' : status === 502 ? 'BadGateway' : status === 504 ? 'GatewayTimeout' : 'InternalServerError';
  return new ArmError(status, code, 'Encountered internal server error. Diagnostic information: timestamp, subscription id, tracking id, request correlation id.');
}

export function notImplemented(method: string, path: string): ArmError {
  return new ArmError(
    501,
    'NotImplementedByTestServer',
    `${method} ${path} is an operation the Sluice ARM test server does not implement; it serves load balancers, their child resources, public IP addresses, virtual networks (read), network interfaces (read) and resource groups.`,
  );
}

export function noRoute(method: string, path: string): ArmError {
  return new ArmError(404, 'NoRegisteredProviderFound', `No registered resource provider found for ${method} ${path}.`);
}
