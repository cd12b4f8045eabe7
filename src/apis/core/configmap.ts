// core/v1 ConfigMap: validation (keys become file names, 1 MiB in all, immutable ones stay so)
// and printing.
import { fieldForbidden, fieldInvalid } from "../errors.ts";
import { type Causes, type JsonObject, boolAt, fieldTooLong, jsonEqual, key, stringMapAt } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { type Printer, age, column } from "../table.ts";
import { isConfigMapKey } from "../validation.ts";

/** The total data size limit of ConfigMaps and Secrets (core.MaxSecretSize). */
export const MAX_DATA_SIZE = 1024 * 1024;

export interface ConfigMap extends KubeObject {
  apiVersion?: "v1";
  kind?: "ConfigMap";
  data?: Record<string, string>;
  binaryData?: Record<string, string>; // base64
  immutable?: boolean;
}

export function validateDataKeys(errs: Causes, path: string, data: Record<string, string> | undefined): void {
  if (!data) return;
  for (const k of Object.keys(data)) {
    for (const msg of isConfigMapKey(k)) errs.push(fieldInvalid(key(path, k), k, msg));
  }
}

export function validateConfigMap(errs: Causes, cm: JsonObject): void {
  const data = stringMapAt(errs, "data", cm.data);
  const binaryData = stringMapAt(errs, "binaryData", cm.binaryData);
  boolAt(errs, "immutable", cm.immutable);
  validateDataKeys(errs, "data", data);
  validateDataKeys(errs, "binaryData", binaryData);
  let size = 0;
  if (data) {
    for (const k of Object.keys(data)) {
      if (binaryData && k in binaryData) errs.push(fieldInvalid(key("data", k), k, "duplicate of key present in binaryData"));
      size += Buffer.byteLength(data[k]!);
    }
  }
  if (binaryData) for (const k of Object.keys(binaryData)) size += Buffer.from(binaryData[k]!, "base64").length;
  if (size > MAX_DATA_SIZE) errs.push(fieldTooLong("", MAX_DATA_SIZE));
}

/** Once `immutable: true`, the data and the flag itself are frozen. */
export function validateImmutableData(errs: Causes, obj: JsonObject, old: JsonObject, fields: string[]): void {
  if (old.immutable !== true) return;
  if (obj.immutable !== true) errs.push(fieldForbidden("immutable", "field is immutable when `immutable` is set"));
  for (const f of fields) if (!jsonEqual(obj[f], old[f])) errs.push(fieldForbidden(f, "field is immutable when `immutable` is set"));
}

export const configMapPrinter: Printer<ConfigMap> = {
  columns: [column("Name"), column("Data", "Number of data in configmap", { type: "integer" }), column("Age")],
  cells: (cm, now) => [cm.metadata.name ?? "", Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, age(cm, now)],
};
