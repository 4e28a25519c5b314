/**
 * The one Service-selector matcher of Sluice: the controller's key mappers, the decision
 * path (which pods a Service selects before its EndpointSlices exist) and the injection
 * webhook all ask it. Kubernetes semantics: an empty or missing selector selects nothing
 * (the EndpointSlice controller makes no endpoints for it); otherwise every key must match.
 */

export function selectorMatches(
  selector: Readonly<Record<string, string>> | null | undefined,
  labels: Readonly<Record<string, string>> | null | undefined,
): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}
