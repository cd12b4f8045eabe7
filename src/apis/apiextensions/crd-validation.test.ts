import { describe, expect, test } from "bun:test";
import type { StatusCause } from "../meta.ts";
import { defaultCRD, validateCRD, validateCRDUpdate } from "./crd-validation.ts";

const crd = (patch: (c: any) => void = () => {}) => {
  const c: any = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "websites.example.com" },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { plural: "websites", kind: "Website", shortNames: ["ws"] },
      versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", properties: { replicas: { type: "integer" } } } } } } }],
    },
  };
  patch(c);
  defaultCRD(c);
  return c;
};

const causes = (c: any) => {
  const errs: StatusCause[] = [];
  validateCRD(errs, c);
  return errs.map((e) => `${e.field}: ${e.message}`);
};

describe("defaultCRD", () => {
  test("singular, listKind and conversion", () => {
    const c = crd();
    expect(c.spec.names.singular).toBe("website");
    expect(c.spec.names.listKind).toBe("WebsiteList");
    expect(c.spec.conversion).toEqual({ strategy: "None" });
  });
});

describe("validateCRD", () => {
  const v0 = "spec.versions[0]";
  const root = `${v0}.schema.openAPIV3Schema`;
  test.each([
    ["a valid CRD", () => {}, []],
    ["name must be plural.group", (c: any) => (c.metadata.name = "x.example.com"), ['metadata.name: Invalid value: "x.example.com": must be spec.names.plural+"."+spec.group']],
    ["group needs a dot", (c: any) => { c.spec.group = "example"; c.metadata.name = "websites.example"; }, ['spec.group: Invalid value: "example": should be a domain with at least one dot']],
    ["built-in groups are taken", (c: any) => { c.spec.group = "apps"; c.metadata.name = "websites.apps"; }, ["spec.group: Invalid value: \"apps\": should be a domain with at least one dot"]],
    ["scope", (c: any) => (c.spec.scope = "Global"), ['spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"']],
    ["exactly one storage version", (c: any) => c.spec.versions.push({ ...c.spec.versions[0], name: "v2" }), ['spec.versions: Invalid value: ["v1","v2"]: must have exactly one version marked as storage version']],
    ["duplicate versions", (c: any) => c.spec.versions.push({ ...c.spec.versions[0], storage: false }), ['spec.versions[1].name: Duplicate value: "v1"']],
    ["schemas are required", (c: any) => delete c.spec.versions[0].schema, [`${root}: Required value: schemas are required`]],
    ["structural: types", (c: any) => (c.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.x = {}), [`${root}.properties[spec].properties[x].type: Required value: must not be empty for specified object fields`]],
    ["structural: items", (c: any) => (c.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.x = { type: "array" }), [`${root}.properties[spec].properties[x].items: Required value: must be specified`]],
    ["structural: metadata", (c: any) => (c.spec.versions[0].schema.openAPIV3Schema.properties.metadata = { type: "object", properties: { labels: { type: "object" } } }), [`${root}.properties[metadata].properties[labels]: Forbidden: must not be specified`]],
    ["a default must validate", (c: any) => (c.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.replicas.default = "x"), [`${root}.properties[spec].properties[replicas].default: Invalid value: "x": Invalid value: "string": <root> in body must be of type integer: "string"`]],
    ["webhook conversion is refused", (c: any) => (c.spec.conversion = { strategy: "Webhook", webhook: {} }), ['spec.conversion.strategy: Unsupported value: "Webhook": supported values: "None"']],
    ["CEL rules that compile are accepted", (c: any) => (c.spec.versions[0].schema.openAPIV3Schema.properties.spec["x-kubernetes-validations"] = [{ rule: "self.replicas > 0", message: "needs replicas" }]), []],
    ["a CEL rule that does not compile", (c: any) => (c.spec.versions[0].schema.openAPIV3Schema.properties.spec["x-kubernetes-validations"] = [{ rule: "self.replicas >" }]), [`${root}.properties[spec].x-kubernetes-validations[0].rule: Invalid value: "self.replicas >": compilation failed: <input>:1:15: found > but expecting end of input`]],
    ["a CEL rule over its cost budget", (c: any) => (c.spec.versions[0].schema.openAPIV3Schema.properties.spec["x-kubernetes-validations"] = [{ rule: "self.a.all(x, self.a.all(y, x <= y))" }]), [`${root}.properties[spec].x-kubernetes-validations[0].rule: Invalid value: "self.a.all(x, self.a.all(y, x <= y))": estimated rule cost exceeds budget: comprehensions (all, exists, map, filter) may not be nested`]],
    ["scale paths", (c: any) => (c.spec.versions[0].subresources = { scale: { specReplicasPath: ".status.replicas", statusReplicasPath: ".status.replicas" } }), [
      `${v0}.subresources.scale.specReplicasPath: Invalid value: ".status.replicas": should be a json path under .spec`,
      `${v0}.subresources.scale.statusReplicasPath: Invalid value: ".status.replicas": should be a json path in the schema`,
    ]],
    ["printer column type", (c: any) => (c.spec.versions[0].additionalPrinterColumns = [{ name: "R", type: "float", jsonPath: ".spec.replicas" }]), [`${v0}.additionalPrinterColumns[0].type: Unsupported value: "float": supported values: "integer", "number", "string", "boolean", "date"`]],
    ["selectable field must be in the schema", (c: any) => (c.spec.versions[0].selectableFields = [{ jsonPath: ".spec.nope" }]), [`${v0}.selectableFields[0].jsonPath: Invalid value: ".spec.nope": is an invalid path: does not refer to a field in the schema`]],
    ["unknown version fields are refused", (c: any) => (c.spec.versions[0].bogus = true), [`${v0}.bogus: Forbidden: is not supported by this server`]],
    ["plural must be a DNS label", (c: any) => { c.spec.names.plural = "Websites"; c.metadata.name = "Websites.example.com"; }, ["spec.names.plural: Invalid value: \"Websites\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"]],
  ])("%s", (_name, patch, want) => {
    const got = causes(crd(patch as (c: any) => void));
    expect(got).toEqual(want);
  });

  test("a built-in group with a dot is refused", () => {
    const got = causes(crd((c) => { c.spec.group = "storage.k8s.io"; c.metadata.name = "websites.storage.k8s.io"; }));
    expect(got).toEqual(['spec.group: Invalid value: "storage.k8s.io": is a group served by the built-in API']);
  });
});

describe("validateCRDUpdate", () => {
  test("group and scope are immutable; stored versions must stay in spec", () => {
    const old = crd();
    const next = crd((c) => { c.spec.scope = "Cluster"; c.spec.versions[0].name = "v2"; });
    next.status = { storedVersions: ["v1"] };
    const errs: StatusCause[] = [];
    validateCRDUpdate(errs, next, old);
    expect(errs.map((e) => `${e.field}: ${e.message}`)).toEqual([
      'spec.scope: Invalid value: "Cluster": field is immutable',
      'status.storedVersions[0]: Invalid value: "v1": must appear in spec.versions',
    ]);
  });
});
