// core/v1 Secret: defaulting (type Opaque; stringData folded into data, as the API's conversion
// does), validation per secret type, and printing.
import { fieldInvalid, fieldRequired } from "../errors.ts";
import { type Causes, type JsonObject, boolAt, fieldImmutable, fieldTooLong, key, objOf, stringAt, stringMapAt } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { type Printer, age, column } from "../table.ts";
import { MAX_DATA_SIZE, validateDataKeys } from "./configmap.ts";

export interface Secret extends KubeObject {
  apiVersion?: "v1";
  kind?: "Secret";
  type?: string; // "Opaque", "kubernetes.io/tls", "kubernetes.io/service-account-token", ...
  data?: Record<string, string>; // base64
  stringData?: Record<string, string>; // write-only, merged into data
  immutable?: boolean;
}

export const SERVICE_ACCOUNT_NAME_ANNOTATION = "kubernetes.io/service-account.name";

export function defaultSecret(secret: Secret): void {
  if (!secret.type) secret.type = "Opaque";
  const stringData = objOf(secret.stringData);
  if (!stringData) return;
  const data = objOf(secret.data) ?? {};
  for (const [k, v] of Object.entries(stringData)) if (typeof v === "string") data[k] = Buffer.from(v).toString("base64");
  secret.data = data as Record<string, string>;
  delete secret.stringData;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

// Keys each secret type must carry (pkg/apis/core/validation ValidateSecret).
const REQUIRED_KEYS: Record<string, string[]> = {
  "kubernetes.io/dockercfg": [".dockercfg"],
  "kubernetes.io/dockerconfigjson": [".dockerconfigjson"],
  "kubernetes.io/ssh-auth": ["ssh-privatekey"],
  "kubernetes.io/tls": ["tls.crt", "tls.key"],
};

export function validateSecret(errs: Causes, secret: JsonObject): void {
  const data = stringMapAt(errs, "data", secret.data) ?? {};
  const type = stringAt(errs, "type", secret.type) ?? "";
  boolAt(errs, "immutable", secret.immutable);
  validateDataKeys(errs, "data", data);
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    if (!BASE64.test(v)) errs.push(fieldInvalid(key("data", k), "<secret contents redacted>", "illegal base64 data"));
    size += Buffer.from(v, "base64").length;
  }
  if (size > MAX_DATA_SIZE) errs.push(fieldTooLong("data", MAX_DATA_SIZE));
  if (type === "kubernetes.io/service-account-token") {
    const annotations = objOf(objOf(secret.metadata)?.annotations);
    if (!annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION]) errs.push(fieldRequired(key("metadata.annotations", SERVICE_ACCOUNT_NAME_ANNOTATION)));
  } else if (type === "kubernetes.io/basic-auth") {
    if (!("username" in data) && !("password" in data)) errs.push(fieldRequired(key("data", "username")), fieldRequired(key("data", "password")));
  } else {
    for (const k of REQUIRED_KEYS[type] ?? []) if (!(k in data) || (type === "kubernetes.io/ssh-auth" && !data[k])) errs.push(fieldRequired(key("data", k)));
  }
  if (type.endsWith("dockercfg") || type.endsWith("dockerconfigjson")) {
    const k = type.endsWith("dockercfg") ? ".dockercfg" : ".dockerconfigjson";
    if (data[k] !== undefined) {
      try {
        JSON.parse(Buffer.from(data[k]!, "base64").toString());
      } catch (err) {
        errs.push(fieldInvalid(key("data", k), "<secret contents redacted>", (err as Error).message));
      }
    }
  }
}

export function validateSecretUpdate(errs: Causes, secret: JsonObject, old: JsonObject): void {
  if ((secret.type ?? "") !== (old.type ?? "")) errs.push(fieldImmutable("type", secret.type ?? ""));
}

export const secretPrinter: Printer<Secret> = {
  columns: [
    column("Name"),
    column("Type", "The type of the secret"),
    column("Data", "The number of entries in the data", { type: "integer" }),
    column("Age"),
  ],
  cells: (s, now) => [s.metadata.name ?? "", s.type ?? "", Object.keys(s.data ?? {}).length, age(s, now)],
};
