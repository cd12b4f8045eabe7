import { describe, expect, test } from "bun:test";
import type { CustomResourceDefinition } from "../../apis/apiextensions/types.ts";
import { desiredStatus, namesConflict } from "./naming.ts";

const NOW = "2026-01-01T00:00:00Z";
const crd = (name: string, names: Partial<CustomResourceDefinition["spec"]["names"]>, accepted = false, group = "example.com"): CustomResourceDefinition => {
  const n = { plural: "websites", kind: "Website", ...names };
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name },
    spec: { group, scope: "Namespaced", names: n, versions: [{ name: "v1", served: true, storage: true }] },
    status: accepted ? { acceptedNames: { ...n, singular: n.kind.toLowerCase(), listKind: `${n.kind}List` } } : undefined,
  };
};

describe("namesConflict", () => {
  const existing = crd("websites.example.com", { shortNames: ["ws"] }, true);
  test.each([
    ["plural", crd("other", { kind: "Other" }), "PluralConflict"],
    ["kind", crd("pages.example.com", { plural: "pages" }), "KindConflict"],
    ["short name", crd("pages.example.com", { plural: "pages", kind: "Page", shortNames: ["ws"] }), "ShortNamesConflict"],
    ["short name = plural", crd("pages.example.com", { plural: "pages", kind: "Page", shortNames: ["websites"] }), "ShortNamesConflict"],
  ])("%s", (_n, c, reason) => {
    expect(namesConflict(c, [existing])?.reason).toBe(reason);
  });

  test("another group is no conflict; nor is the CRD itself", () => {
    expect(namesConflict(crd("websites.other.io", {}, false, "other.io"), [existing])).toBeUndefined();
    expect(namesConflict(existing, [existing])).toBeUndefined();
  });
});

describe("desiredStatus", () => {
  test("accepted names make it Established and record the storage version", () => {
    const s = desiredStatus(crd("websites.example.com", {}), [], NOW);
    expect(s.acceptedNames).toEqual({ plural: "websites", singular: "website", kind: "Website", listKind: "WebsiteList" });
    expect(s.conditions!.map((c) => [c.type, c.status, c.reason])).toEqual([
      ["NamesAccepted", "True", "NoConflicts"],
      ["Established", "True", "InitialNamesAccepted"],
    ]);
    expect(s.storedVersions).toEqual(["v1"]);
  });

  test("a conflict leaves it unaccepted and not established", () => {
    const s = desiredStatus(crd("pages.example.com", { plural: "pages" }), [crd("websites.example.com", {}, true)], NOW);
    expect(s.acceptedNames).toEqual({ plural: "", kind: "" });
    expect(s.conditions!.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ["NamesAccepted", "False", "KindConflict", '"Website" is already in use'],
      ["Established", "False", "NotAccepted", "not all names are accepted"],
    ]);
  });

  test("is stable: the same input gives the same status (no write loop)", () => {
    const c = crd("websites.example.com", {});
    c.status = desiredStatus(c, [], NOW);
    expect(desiredStatus(c, [], "2030-01-01T00:00:00Z")).toEqual(c.status);
  });
});
