import { expect, test } from "bun:test";
import { evaluatePod, violationList } from "./evaluate.ts";
import { parseDefaults, policyOf, validatePolicyLabels } from "./policy.ts";

const plain = { containers: [{ name: "c" }] };

test("a plain pod violates restricted exactly as upstream lists it, and passes baseline and privileged", () => {
  expect(violationList(evaluatePod("restricted", {}, plain))).toBe(
    'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
  );
  expect(evaluatePod("baseline", {}, plain)).toEqual([]);
  expect(evaluatePod("privileged", {}, { hostNetwork: true, containers: [{ name: "c", securityContext: { privileged: true } }] })).toEqual([]);
});

test("restricted replaces the baseline forms of overridden checks", () => {
  const spec = { volumes: [{ name: "h", hostPath: { path: "/" } }], containers: [{ name: "c", securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, capabilities: { drop: ["ALL"] } } }] };
  expect(evaluatePod("restricted", {}, spec).map((v) => v.reason)).toEqual(["restricted volume types"]);
  expect(evaluatePod("baseline", {}, spec).map((v) => v.reason)).toEqual(["hostPath volumes"]);
});

test("a compliant pod passes restricted", () => {
  const spec = { securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } }, containers: [{ name: "c", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }] };
  expect(evaluatePod("restricted", {}, spec)).toEqual([]);
});

test("labels: levels, fail-closed invalid enforce, version validation", () => {
  const d = parseDefaults("enforce=baseline,warn=restricted");
  expect(d).toEqual({ enforce: "baseline", audit: "privileged", warn: "restricted" });
  expect(policyOf({ "pod-security.kubernetes.io/warn": "privileged" }, d)).toEqual({ enforce: "baseline", audit: "privileged", warn: "privileged" });
  expect(policyOf({ "pod-security.kubernetes.io/enforce": "bogus" }, d).enforce).toBe("restricted");
  expect(validatePolicyLabels({ "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" })).toEqual([]);
  expect(validatePolicyLabels({ "pod-security.kubernetes.io/enforce": "strict", "pod-security.kubernetes.io/warn-version": "v1.29" }).map((c) => c.field)).toEqual([
    "metadata.labels[pod-security.kubernetes.io/enforce]",
    "metadata.labels[pod-security.kubernetes.io/warn-version]",
  ]);
  expect(() => parseDefaults("enforce=strict")).toThrow(/unknown level/);
});
