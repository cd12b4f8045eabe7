import { describe, expect, test } from "bun:test";
import { DEFINITIONS_FILE, generateDefinitions, serializeDefinitions } from "../../../scripts/gen-openapi-schemas.ts";
import { RESOURCES } from "../../apis/registry.ts";
import { closure, definitionFor, definitions, groupVersionKinds, resolve } from "./definitions.ts";

describe("definitions.json", () => {
  test("is up to date with the generator (run: bun scripts/gen-openapi-schemas.ts)", async () => {
    const fresh = serializeDefinitions(await generateDefinitions());
    expect(fresh === (await Bun.file(DEFINITIONS_FILE).text())).toBe(true);
  });

  // Create-only kinds (SelfSubjectAccessReview) have no list kind.
  const kinds = RESOURCES.flatMap((r) => [[r.group, r.version, r.kind], ...(r.verbs.includes("list") ? [[r.group, r.version, r.listKind]] : [])]);
  test.each([...kinds, ["autoscaling", "v1", "Scale"], ["", "v1", "Binding"], ["", "v1", "Status"], ["apps", "v1", "DeleteOptions"]])(
    "%p/%s %s has a schema tagged with its group-version-kind",
    (group, version, kind) => {
      const name = definitionFor(group!, version!, kind!);
      expect(name).toBeDefined();
      expect(groupVersionKinds(name!)).toContainEqual({ group, version, kind });
    },
  );

  test.each([
    ["apps", "v1", "Deployment", "io.k8s.api.apps.v1.Deployment"],
    ["", "v1", "Event", "io.k8s.api.core.v1.Event"],
    ["discovery.k8s.io", "v1", "EndpointSlice", "io.k8s.api.discovery.v1.EndpointSlice"],
    ["coordination.k8s.io", "v1", "Lease", "io.k8s.api.coordination.v1.Lease"],
    ["", "v1", "Status", "io.k8s.apimachinery.pkg.apis.meta.v1.Status"],
  ])("%p/%s %s is named %s", (group, version, kind, name) => {
    expect(definitionFor(group, version, kind)).toBe(name);
  });

  test("leaf types are spelled as Kubernetes spells them", () => {
    expect(definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]).toMatchObject({
      type: "string",
      format: "int-or-string",
      "x-kubernetes-int-or-string": true,
    });
    expect(definitions["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]).toMatchObject({ type: "string", format: "date-time" });
    const limits = definitions["io.k8s.api.core.v1.ResourceRequirements"]!.properties!.limits!;
    expect(limits.additionalProperties).toEqual({ $ref: "#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity" });
  });

  test.each([
    ["io.k8s.api.core.v1.PodSpec", "containers", "name", "merge"],
    ["io.k8s.api.core.v1.Container", "ports", "containerPort", "merge"],
    ["io.k8s.api.core.v1.Container", "volumeMounts", "mountPath", "merge"],
    ["io.k8s.api.core.v1.PodSpec", "volumes", "name", "merge,retainKeys"],
  ])("%s.%s merges by %s (%s)", (definition, field, key, strategy) => {
    const prop = definitions[definition]!.properties![field]!;
    expect(prop["x-kubernetes-patch-merge-key"]).toBe(key);
    expect(prop["x-kubernetes-patch-strategy"]).toBe(strategy);
  });

  test("required fields come from the models", () => {
    expect(definitions["io.k8s.api.core.v1.Container"]!.required).toEqual(["name"]);
    expect(definitions["io.k8s.api.core.v1.PodSpec"]!.required).toEqual(["containers"]);
  });

  test("every reference resolves", () => {
    for (const name of closure(Object.keys(definitions))) expect(resolve({ $ref: `#/definitions/${name}` })).toBeDefined();
  });
});
