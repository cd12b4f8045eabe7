// Validation of Validating/MutatingWebhookConfiguration, after kube-apiserver's
// pkg/apis/admissionregistration/validation (v1 rules: sideEffects None or NoneOnDryRun, https
// only, timeouts of 1–30 s), with its field paths and messages. matchConditions are compiled
// here (match-conditions.ts), so a configuration whose CEL does not compile is refused.
import { fieldDuplicate, fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import { type Causes, type JsonObject, absent, child, index, intAt, objectAt, objectsAt, stringAt, stringListAt } from "../field.ts";
import { validateLabelSelector } from "../metadata.ts";
import { WEBHOOK_MATCH_VARIABLES } from "../cel/index.ts";
import { validateMatchConditions } from "./match-conditions.ts";
import { isDNS1035Label, isDNS1123Subdomain, isValidPortNum } from "../validation.ts";

const OPERATIONS = ["*", "CONNECT", "CREATE", "DELETE", "UPDATE"];
const SCOPES = ["*", "Cluster", "Namespaced"];
const REVIEW_VERSIONS = ["v1", "v1beta1"];

export const validateValidatingWebhookConfiguration = (errs: Causes, cfg: JsonObject) => validateConfiguration(errs, cfg, false);
export const validateMutatingWebhookConfiguration = (errs: Causes, cfg: JsonObject) => validateConfiguration(errs, cfg, true);

function validateConfiguration(errs: Causes, cfg: JsonObject, mutating: boolean): void {
  const names = new Set<string>();
  for (const [hook, path] of objectsAt(errs, "webhooks", cfg.webhooks)) {
    validateWebhook(errs, hook, path, mutating);
    const name = hook.name;
    if (typeof name === "string" && name) {
      if (names.has(name)) errs.push(fieldDuplicate(child(path, "name"), name));
      names.add(name);
    }
  }
}

function validateWebhook(errs: Causes, hook: JsonObject, path: string, mutating: boolean): void {
  const name = stringAt(errs, child(path, "name"), hook.name) ?? "";
  if (!name) errs.push(fieldRequired(child(path, "name")));
  else {
    for (const msg of isDNS1123Subdomain(name)) errs.push(fieldInvalid(child(path, "name"), name, msg));
    if (name.split(".").length < 3) errs.push(fieldInvalid(child(path, "name"), name, "should be a domain with at least three segments separated by dots"));
  }
  for (const [rule, p] of objectsAt(errs, child(path, "rules"), hook.rules)) validateRule(errs, rule, p);
  oneOf(errs, child(path, "failurePolicy"), hook.failurePolicy, ["Fail", "Ignore"]);
  oneOf(errs, child(path, "matchPolicy"), hook.matchPolicy, ["Equivalent", "Exact"]);
  if (absent(hook.sideEffects)) errs.push(fieldRequired(child(path, "sideEffects")));
  else oneOf(errs, child(path, "sideEffects"), hook.sideEffects, ["None", "NoneOnDryRun"]);
  const timeout = intAt(errs, child(path, "timeoutSeconds"), hook.timeoutSeconds);
  if (timeout !== undefined && (timeout < 1 || timeout > 30)) {
    errs.push(fieldInvalid(child(path, "timeoutSeconds"), timeout, "the timeout value must be between 1 and 30 seconds"));
  }
  validateLabelSelector(errs, child(path, "namespaceSelector"), hook.namespaceSelector);
  validateLabelSelector(errs, child(path, "objectSelector"), hook.objectSelector);
  validateClientConfig(errs, hook.clientConfig, child(path, "clientConfig"));
  validateReviewVersions(errs, hook.admissionReviewVersions, child(path, "admissionReviewVersions"));
  if (mutating) oneOf(errs, child(path, "reinvocationPolicy"), hook.reinvocationPolicy, ["IfNeeded", "Never"]);
  else if (!absent(hook.reinvocationPolicy)) errs.push(fieldForbidden(child(path, "reinvocationPolicy"), "only mutating webhooks are reinvoked"));
  validateMatchConditions(errs, child(path, "matchConditions"), hook.matchConditions, WEBHOOK_MATCH_VARIABLES);
}

function oneOf(errs: Causes, path: string, v: unknown, supported: string[]): void {
  if (!absent(v) && !supported.includes(v as string)) errs.push(fieldNotSupported(path, v, supported));
}

export function validateRule(errs: Causes, rule: JsonObject, path: string): void {
  const ops = stringListAt(errs, child(path, "operations"), rule.operations) ?? [];
  if (!ops.length) errs.push(fieldRequired(child(path, "operations")));
  if (ops.length > 1 && ops.includes("*")) errs.push(fieldInvalid(child(path, "operations"), ops, "if '*' is present, must not specify other operations"));
  ops.forEach((op, i) => {
    if (!OPERATIONS.includes(op)) errs.push(fieldNotSupported(index(child(path, "operations"), i), op, OPERATIONS));
  });
  const groups = stringListAt(errs, child(path, "apiGroups"), rule.apiGroups) ?? [];
  if (!groups.length) errs.push(fieldRequired(child(path, "apiGroups")));
  if (groups.length > 1 && groups.includes("*")) errs.push(fieldInvalid(child(path, "apiGroups"), groups, "if '*' is present, must not specify other API groups"));
  const versions = stringListAt(errs, child(path, "apiVersions"), rule.apiVersions) ?? [];
  if (!versions.length) errs.push(fieldRequired(child(path, "apiVersions")));
  if (versions.length > 1 && versions.includes("*")) errs.push(fieldInvalid(child(path, "apiVersions"), versions, "if '*' is present, must not specify other API versions"));
  versions.forEach((v, i) => {
    if (!v) errs.push(fieldRequired(index(child(path, "apiVersions"), i)));
  });
  validateResources(errs, stringListAt(errs, child(path, "resources"), rule.resources) ?? [], child(path, "resources"));
  oneOf(errs, child(path, "scope"), rule.scope, SCOPES);
}

function validateResources(errs: Causes, resources: string[], path: string): void {
  if (!resources.length) errs.push(fieldRequired(path));
  const wildcardSub = new Set<string>(); // x/*
  const wildcardRes = new Set<string>(); // */x
  let doubleWildcard = false;
  let singleWildcard = false;
  let withoutSub = false;
  resources.forEach((rs, i) => {
    if (!rs) return void errs.push(fieldRequired(index(path, i)));
    if (rs === "*/*") doubleWildcard = true;
    if (rs === "*") singleWildcard = true;
    const slash = rs.indexOf("/");
    if (slash < 0) {
      withoutSub = rs !== "*";
      return;
    }
    const res = rs.slice(0, slash);
    const sub = rs.slice(slash + 1);
    if (wildcardSub.has(res)) errs.push(fieldInvalid(index(path, i), rs, `if '${res}/*' is present, must not specify ${rs}`));
    if (wildcardRes.has(sub)) errs.push(fieldInvalid(index(path, i), rs, `if '*/${sub}' is present, must not specify ${rs}`));
    if (sub === "*") wildcardSub.add(res);
    if (res === "*") wildcardRes.add(sub);
  });
  if (resources.length > 1 && doubleWildcard) errs.push(fieldInvalid(path, resources, "if '*/*' is present, must not specify other resources"));
  if (singleWildcard && withoutSub) errs.push(fieldInvalid(path, resources, "if '*' is present, must not specify other resources without subresources"));
}

function validateClientConfig(errs: Causes, v: unknown, path: string): void {
  const cc = objectAt(errs, path, v);
  if (!cc) return void errs.push(fieldRequired(path, "Required value: exactly one of url or service is required"));
  if (absent(cc.url) === absent(cc.service)) errs.push(fieldRequired(path, "Required value: exactly one of url or service is required"));
  const url = stringAt(errs, child(path, "url"), cc.url);
  if (url !== undefined) validateURL(errs, url, child(path, "url"));
  const svc = objectAt(errs, child(path, "service"), cc.service);
  if (svc) validateService(errs, svc, child(path, "service"));
  const ca = stringAt(errs, child(path, "caBundle"), cc.caBundle);
  if (ca && !/^[A-Za-z0-9+/]*={0,2}$/.test(ca)) errs.push(fieldInvalid(child(path, "caBundle"), "<bytes>", "must be base64"));
}

function validateURL(errs: Causes, raw: string, path: string): void {
  const form = "; desired format: https://host[/path]";
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch (err) {
    return void errs.push(fieldRequired(path, `Required value: url must be a valid URL: ${(err as Error).message}${form}`));
  }
  if (u.protocol !== "https:") errs.push(fieldInvalid(path, u.protocol.replace(/:$/, ""), `'https' is the only allowed URL scheme${form}`));
  if (!u.host) errs.push(fieldInvalid(path, u.host, `host must be specified${form}`));
  if (u.username || u.password) errs.push(fieldInvalid(path, u.username, "user information is not permitted in the URL"));
  if (u.hash) errs.push(fieldInvalid(path, u.hash.slice(1), "fragments are not permitted in the URL"));
  if (u.search) errs.push(fieldInvalid(path, u.search.slice(1), "query parameters are not permitted in the URL"));
}

function validateService(errs: Causes, svc: JsonObject, path: string): void {
  const name = stringAt(errs, child(path, "name"), svc.name);
  if (!name) errs.push(fieldRequired(child(path, "name"), "Required value: service name is required"));
  const ns = stringAt(errs, child(path, "namespace"), svc.namespace);
  if (!ns) errs.push(fieldRequired(child(path, "namespace"), "Required value: service namespace is required"));
  const port = intAt(errs, child(path, "port"), svc.port);
  if (port !== undefined) {
    const bad = isValidPortNum(port);
    if (bad.length) errs.push(fieldInvalid(child(path, "port"), port, `port is not valid: ${bad.join(", ")}`));
  }
  const p = stringAt(errs, child(path, "path"), svc.path);
  if (p === undefined || p === "" || p === "/") return;
  if (p === "//") return void errs.push(fieldInvalid(child(path, "path"), p, "segment[0] may not be empty"));
  if (!p.startsWith("/")) errs.push(fieldInvalid(child(path, "path"), p, "must start with a '/'"));
  let rest = p.slice(1);
  if (rest.endsWith("/")) rest = rest.slice(0, -1);
  rest.split("/").forEach((step, i) => {
    if (!step) return void errs.push(fieldInvalid(child(path, "path"), p, `segment[${i}] may not be empty`));
    for (const msg of isDNS1123Subdomain(step)) errs.push(fieldInvalid(child(path, "path"), p, `segment[${i}]: ${msg}`));
  });
}

function validateReviewVersions(errs: Causes, v: unknown, path: string): void {
  const versions = stringListAt(errs, path, v);
  if (!versions?.length) return void errs.push(fieldRequired(path, `Required value: must specify one of ${REVIEW_VERSIONS.join(", ")}`));
  const seen = new Set<string>();
  versions.forEach((ver, i) => {
    for (const msg of isDNS1035Label(ver)) errs.push(fieldInvalid(index(path, i), ver, msg));
    if (seen.has(ver)) errs.push(fieldInvalid(index(path, i), ver, "duplicate version"));
    seen.add(ver);
  });
  if (!versions.some((ver) => REVIEW_VERSIONS.includes(ver))) {
    errs.push(fieldInvalid(path, versions, `must include at least one of ${REVIEW_VERSIONS.join(", ")}`));
  }
}
