// core/v1 LimitRange: types, defaults (SetDefaults_LimitRangeItem), validation
// (ValidateLimitRange) and the `kubectl get limits` columns. Every type (Container, Pod,
// PersistentVolumeClaim) is enforced by the LimitRanger admission (src/api/limitranger-admission.ts).
// A claim item takes only storage min/max: upstream accepts defaults and ratios there and
// never applies them, so kubun refuses them instead.
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import { type Causes, type JsonObject, key, objectAt, objectsAt, stringAt } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { QUANTITY_FORMAT_MESSAGE, compareQuantities, formatQuantity, isNegativeQuantity, isQuantity, parseQuantity } from "../quantity.ts";
import { type Printer, age, column } from "../table.ts";
import type { ResourceList } from "./resourcequota.ts";

export interface LimitRangeItem {
  type: "Container" | "Pod" | "PersistentVolumeClaim";
  max?: ResourceList;
  min?: ResourceList;
  default?: ResourceList;
  defaultRequest?: ResourceList;
  maxLimitRequestRatio?: ResourceList;
}

export interface LimitRange extends KubeObject {
  apiVersion?: "v1";
  kind?: "LimitRange";
  spec?: { limits?: LimitRangeItem[] };
}

const TYPES = ["Container", "Pod", "PersistentVolumeClaim"];
const LISTS = ["max", "min", "default", "defaultRequest", "maxLimitRequestRatio"] as const;
const RESOURCES = new Set(["cpu", "memory", "ephemeral-storage"]);
const CLAIM_RESOURCES = new Set(["storage"]);

/** A container's default limit is its max, its default request its default limit, else its min. */
export function defaultLimitRange(lr: KubeObject): void {
  for (const item of ((lr as LimitRange).spec?.limits ?? []) as LimitRangeItem[]) {
    if (item?.type !== "Container") continue;
    const def = (item.default ??= {});
    const req = (item.defaultRequest ??= {});
    for (const [k, v] of Object.entries(item.max ?? {})) def[k] ??= v;
    for (const [k, v] of Object.entries(def)) req[k] ??= v;
    for (const [k, v] of Object.entries(item.min ?? {})) req[k] ??= v;
  }
}

export function validateLimitRange(errs: Causes, lr: JsonObject): void {
  const spec = objectAt(errs, "spec", lr.spec) ?? {};
  for (const [item, p] of objectsAt(errs, "spec.limits", spec.limits)) {
    const type = stringAt(errs, `${p}.type`, item.type);
    if (!type) errs.push(fieldRequired(`${p}.type`));
    else if (!TYPES.includes(type)) errs.push(fieldNotSupported(`${p}.type`, type, TYPES));
    const lists: Record<string, Record<string, unknown>> = {};
    for (const name of LISTS) {
      lists[name] = objectAt(errs, `${p}.${name}`, item[name]) ?? {};
      for (const [res, q] of Object.entries(lists[name]!)) {
        const qp = key(`${p}.${name}`, res);
        if (!(type === "PersistentVolumeClaim" ? CLAIM_RESOURCES : RESOURCES).has(res)) errs.push(fieldInvalid(qp, res, "must be a standard limit type or extended resource"));
        if (!isQuantity(q)) errs.push(fieldInvalid(qp, q, QUANTITY_FORMAT_MESSAGE));
        else if (isNegativeQuantity(q)) errs.push(fieldInvalid(qp, formatQuantity(q), "must be greater than or equal to 0"));
      }
    }
    if (type === "Pod") {
      if (Object.keys(lists.default!).length) errs.push(fieldForbidden(`${p}.default`, "may not be specified when `type` is 'Pod'"));
      if (Object.keys(lists.defaultRequest!).length) errs.push(fieldForbidden(`${p}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
    }
    if (type === "PersistentVolumeClaim") {
      for (const name of ["default", "defaultRequest", "maxLimitRequestRatio"]) {
        if (Object.keys(lists[name]!).length) errs.push(fieldForbidden(`${p}.${name}`, "may not be specified when `type` is 'PersistentVolumeClaim' (kubun applies only min and max to claims)"));
      }
      if (lists.min!.storage === undefined && lists.max!.storage === undefined) {
        errs.push(fieldRequired(`${p}.limits`, "Required value: either minimum or maximum storage value is required, but neither was provided"));
      }
    }
    validateOrder(errs, p, lists);
  }
}

// The orderings upstream requires between min, defaultRequest, default and max of one resource.
function validateOrder(errs: Causes, p: string, l: Record<string, Record<string, unknown>>): void {
  const q = (list: string, res: string) => (isQuantity(l[list]![res]) ? parseQuantity(l[list]![res] as string) : undefined);
  const names = new Set(LISTS.flatMap((n) => Object.keys(l[n]!)));
  for (const res of [...names].sort()) {
    const [min, max, def, req, ratio] = [q("min", res), q("max", res), q("default", res), q("defaultRequest", res), q("maxLimitRequestRatio", res)];
    const s = (x: Parameters<typeof formatQuantity>[0]) => formatQuantity(x);
    const gt = (a: typeof min, b: typeof min) => a !== undefined && b !== undefined && compareQuantities(a, b) > 0;
    if (gt(min, max)) errs.push(fieldInvalid(key(`${p}.min`, res), s(min!), `min value ${s(min!)} is greater than max value ${s(max!)}`));
    if (gt(min, req)) errs.push(fieldInvalid(key(`${p}.defaultRequest`, res), s(req!), `min value ${s(min!)} is greater than default request value ${s(req!)}`));
    if (gt(req, max)) errs.push(fieldInvalid(key(`${p}.defaultRequest`, res), s(req!), `default request value ${s(req!)} is greater than max value ${s(max!)}`));
    if (gt(req, def)) errs.push(fieldInvalid(key(`${p}.defaultRequest`, res), s(req!), `default request value ${s(req!)} is greater than default limit value ${s(def!)}`));
    if (gt(min, def)) errs.push(fieldInvalid(key(`${p}.default`, res), s(def!), `min value ${s(min!)} is greater than default value ${s(def!)}`));
    if (gt(def, max)) errs.push(fieldInvalid(key(`${p}.default`, res), s(def!), `default value ${s(def!)} is greater than max value ${s(max!)}`));
    if (ratio !== undefined && compareQuantities(ratio, "1") < 0) {
      errs.push(fieldInvalid(key(`${p}.maxLimitRequestRatio`, res), s(ratio), `ratio ${s(ratio)} is less than 1`));
    }
  }
}

// kube-apiserver prints one row per LimitRange: NAME, CREATED AT.
export const limitRangePrinter: Printer<LimitRange> = {
  columns: [column("Name"), column("Created At", "CreationTimestamp is a timestamp representing the server time when this object was created.", { type: "date" })],
  cells: (lr, now) => [lr.metadata.name ?? "", lr.metadata.creationTimestamp ?? age(lr, now)],
};
