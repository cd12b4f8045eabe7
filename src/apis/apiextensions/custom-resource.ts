// What a CustomResourceDefinition serves: one ResourceInfo per served version (the same record
// built-in kinds have in registry.ts, so routing, discovery, RBAC, watch and the store treat
// custom resources like any other), each with a strategy made from the version's schema —
// prune, default, validate, print — as apiextensions-apiserver's customresource strategy does.
import type { Causes, JsonObject } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import type { ResourceInfo, SubresourceInfo } from "../registry.ts";
import type { Strategy } from "../strategies/strategy.ts";
import { nameIsDNSSubdomain } from "../validation.ts";
import { customPrinter } from "./printer.ts";
import { applySchemaDefaults, prune } from "./schema-prune.ts";
import { validateCustomResource } from "./schema-validation.ts";
import { validateCelRules } from "./cel-validation.ts";

/** Only the transition rules: validateCelRules on update runs every rule, which validate already did. */
function validateTransitionRules(errs: Causes, schema: JSONSchemaProps, obj: JsonObject, old: JsonObject): void {
  const all: Causes = [];
  validateCelRules(all, "", schema, obj, old, true);
  const plain: Causes = [];
  validateCelRules(plain, "", schema, obj, undefined, false);
  const seen = new Set(plain.map((c) => `${c.field}|${c.message}`));
  errs.push(...all.filter((c) => !seen.has(`${c.field}|${c.message}`)));
}
import { type CustomResourceDefinition, type CustomResourceDefinitionVersion, type JSONSchemaProps, storageVersionOf } from "./types.ts";

const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

/** `storedAs`: the apiVersion objects are stored in (the CRD's storage version; conversion None). */
export function customStrategy(v: CustomResourceDefinitionVersion, storedAs: string): Strategy {
  const schema: JSONSchemaProps = v.schema?.openAPIV3Schema ?? { type: "object", "x-kubernetes-preserve-unknown-fields": true };
  const hasStatus = !!v.subresources?.status;
  return {
    name: nameIsDNSSubdomain,
    unknownFields: (obj) => prune(structuredClone(obj) as unknown as JsonObject, schema).map((p) => `unknown field "${p}"`),
    defaults(obj) {
      obj.apiVersion = storedAs;
      prune(obj as unknown as JsonObject, schema);
      applySchemaDefaults(obj, schema);
    },
    validate(errs: Causes, obj: JsonObject) {
      validateCustomResource(errs, schema, obj);
      validateCelRules(errs, "", schema, obj, undefined, false);
    },
    // Transition rules (those reading oldSelf) need the stored object; the others ran in validate.
    validateUpdate: (errs: Causes, obj: JsonObject, old: JsonObject) => validateTransitionRules(errs, schema, obj, old),
    validateStatus(errs: Causes, obj: JsonObject, old: JsonObject) {
      validateCustomResource(errs, schema, obj);
      validateCelRules(errs, "", schema, obj, old, true);
    },
    printer: customPrinter(v.additionalPrinterColumns),
    prepareForCreate(obj: KubeObject) {
      // With a status subresource, status is written only through it.
      if (hasStatus) delete (obj as { status?: unknown }).status;
      obj.metadata.generation = 1;
    },
  };
}

/** The resources a CRD serves under its accepted names; none until it has accepted names. */
export function customResources(crd: CustomResourceDefinition): ResourceInfo[] {
  const names = crd.status?.acceptedNames;
  const storage = storageVersionOf(crd);
  if (!names?.plural || !names.kind || !storage) return [];
  return crd.spec.versions
    .filter((v) => v.served)
    .map((v): ResourceInfo => {
      const subresources: SubresourceInfo[] = [];
      if (v.subresources?.status) subresources.push({ name: "status", kind: names.kind, verbs: ["get", "patch", "update"] });
      if (v.subresources?.scale) subresources.push({ name: "scale", kind: "Scale", group: "autoscaling", version: "v1", verbs: ["get", "patch", "update"] });
      return {
        group: crd.spec.group,
        version: v.name,
        resource: names.plural,
        singular: names.singular ?? names.kind.toLowerCase(),
        kind: names.kind,
        listKind: names.listKind ?? `${names.kind}List`,
        namespaced: crd.spec.scope === "Namespaced",
        shortNames: names.shortNames?.length ? names.shortNames : undefined,
        categories: names.categories?.length ? names.categories : undefined,
        verbs: ALL_VERBS,
        subresources,
        custom: {
          crd: crd.metadata.name!,
          strategy: customStrategy(v, `${crd.spec.group}/${storage.name}`),
          scale: v.subresources?.scale,
          selectableFields: (v.selectableFields ?? []).map((f) => f.jsonPath.slice(1)),
          storageVersion: storage.name,
          schema: v.schema?.openAPIV3Schema,
        },
      };
    });
}
