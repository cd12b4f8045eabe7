// The status a CRD should have, as a pure function of it and its group's other CRDs
// (apiextensions-apiserver's NamingConditionController and EstablishingController): names that
// clash with another CRD's accepted names are not accepted (NamesAccepted False, the old
// accepted names stay served); accepted names make the CRD Established.
import type {
  CustomResourceDefinition, CustomResourceDefinitionCondition, CustomResourceDefinitionNames, CustomResourceDefinitionStatus,
} from "../../apis/apiextensions/types.ts";
import { storageVersionOf } from "../../apis/apiextensions/types.ts";

type Condition = CustomResourceDefinitionCondition;

/** Why `names` can't be accepted beside the others' accepted names, or undefined when they can. */
export function namesConflict(crd: CustomResourceDefinition, others: readonly CustomResourceDefinition[]): { reason: string; message: string } | undefined {
  const n = crd.spec.names;
  const taken = { resources: new Set<string>(), kinds: new Set<string>() };
  for (const o of others) {
    if (o.metadata.name === crd.metadata.name || o.spec?.group !== crd.spec.group) continue;
    const a = o.status?.acceptedNames;
    if (!a?.plural) continue;
    for (const r of [a.plural, a.singular, ...(a.shortNames ?? [])]) if (r) taken.resources.add(r);
    for (const k of [a.kind, a.listKind]) if (k) taken.kinds.add(k);
  }
  if (taken.resources.has(n.plural)) return { reason: "PluralConflict", message: `"${n.plural}" is already in use` };
  if (n.singular && taken.resources.has(n.singular)) return { reason: "SingularConflict", message: `"${n.singular}" is already in use` };
  for (const s of n.shortNames ?? []) if (taken.resources.has(s)) return { reason: "ShortNamesConflict", message: `"${s}" is already in use` };
  if (taken.kinds.has(n.kind)) return { reason: "KindConflict", message: `"${n.kind}" is already in use` };
  if (n.listKind && taken.kinds.has(n.listKind)) return { reason: "ListKindConflict", message: `"${n.listKind}" is already in use` };
  return undefined;
}

function setCondition(conditions: Condition[], c: Omit<Condition, "lastTransitionTime">, now: string): Condition[] {
  const old = conditions.find((x) => x.type === c.type);
  const next: Condition = { ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : now };
  return old ? conditions.map((x) => (x.type === c.type ? next : x)) : [...conditions, next];
}

/** The status the registrar writes for `crd`. */
export function desiredStatus(crd: CustomResourceDefinition, others: readonly CustomResourceDefinition[], now: string): CustomResourceDefinitionStatus {
  const status = crd.status ?? {};
  let conditions = status.conditions ?? [];
  let acceptedNames: CustomResourceDefinitionNames = status.acceptedNames ?? { plural: "", kind: "" };
  const conflict = namesConflict(crd, others);
  if (conflict) {
    conditions = setCondition(conditions, { type: "NamesAccepted", status: "False", ...conflict }, now);
  } else {
    acceptedNames = normalizedNames(crd.spec.names);
    conditions = setCondition(conditions, { type: "NamesAccepted", status: "True", reason: "NoConflicts", message: "no conflicts found" }, now);
  }
  if (acceptedNames.plural) {
    conditions = setCondition(conditions, { type: "Established", status: "True", reason: "InitialNamesAccepted", message: "the initial names have been accepted" }, now);
  } else {
    conditions = setCondition(conditions, { type: "Established", status: "False", reason: "NotAccepted", message: "not all names are accepted" }, now);
  }
  if (crd.metadata.deletionTimestamp) {
    conditions = setCondition(conditions, { type: "Terminating", status: "True", reason: "InstanceDeletionInProgress", message: "CustomResource deletion is in progress" }, now);
  }
  const storedVersions = [...(status.storedVersions ?? [])];
  const storage = storageVersionOf(crd)?.name;
  if (storage && !storedVersions.includes(storage)) storedVersions.push(storage);
  return { conditions, acceptedNames, storedVersions };
}

function normalizedNames(n: CustomResourceDefinitionNames): CustomResourceDefinitionNames {
  const out: CustomResourceDefinitionNames = { plural: n.plural, singular: n.singular ?? n.kind.toLowerCase(), kind: n.kind, listKind: n.listKind ?? `${n.kind}List` };
  if (n.shortNames?.length) out.shortNames = n.shortNames;
  if (n.categories?.length) out.categories = n.categories;
  return out;
}
