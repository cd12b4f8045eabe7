// meta.k8s.io/v1 Table, the server-side printing `kubectl get` asks for. Each kind supplies a
// Printer (columns + cells), after pkg/printers/internalversion; the server always prints the
// wide (priority 1) cells too and kubectl hides them unless -o wide.
import type { KubeObject, ObjectMeta } from "./meta.ts";
import { timestampSince } from "./duration.ts";

export interface TableColumnDefinition {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  format: string;
  description: string;
  priority: number;
}

export interface TableRowCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
}

export interface PartialObjectMetadata {
  kind: "PartialObjectMetadata";
  apiVersion: "meta.k8s.io/v1";
  metadata: ObjectMeta;
}

export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  object?: PartialObjectMetadata | KubeObject;
}

export interface Table {
  kind: "Table";
  apiVersion: "meta.k8s.io/v1";
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export interface Printer<T extends KubeObject = KubeObject> {
  columns: TableColumnDefinition[];
  cells(obj: T, now: Date): unknown[];
  conditions?(obj: T): TableRowCondition[] | undefined;
}

const DESCRIPTIONS: Record<string, string> = {
  Name: "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
  Age: "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
};

/** A column; "Name" gets format "name" as kubectl expects for its NAME handling. */
export function column(
  name: string,
  description = DESCRIPTIONS[name] ?? "",
  opts: { priority?: number; type?: TableColumnDefinition["type"] } = {},
): TableColumnDefinition {
  return { name, type: opts.type ?? "string", format: name === "Name" ? "name" : "", description, priority: opts.priority ?? 0 };
}

export const wide = (name: string, description = "", type: TableColumnDefinition["type"] = "string") => column(name, description, { priority: 1, type });

export const age = (obj: KubeObject, now: Date) => timestampSince(obj.metadata?.creationTimestamp, now);

/** NAME, AGE: what kube-apiserver prints for kinds without a printer of their own. */
export const defaultPrinter: Printer = {
  columns: [column("Name"), column("Age")],
  cells: (obj, now) => [obj.metadata?.name ?? "", age(obj, now)],
};

/** "a,b,c + 2 more..." as kubectl abbreviates long lists; "<unset>" (or `none`) when empty. */
export function listWithMore(list: string[], max = 3, none = "<unset>"): string {
  const shown = list.slice(0, max).join(",");
  if (list.length > max) return `${shown} + ${list.length - max} more...`;
  return shown || none;
}

export function asPartialObjectMetadata(obj: KubeObject): PartialObjectMetadata {
  const { managedFields: _, ...metadata } = obj.metadata ?? {};
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata };
}

export interface TableOptions {
  now: Date;
  includeObject?: "None" | "Metadata" | "Object";
  resourceVersion?: string;
  continue?: string;
}

export function buildTable(printer: Printer, objs: KubeObject[], opts: TableOptions): Table {
  const include = opts.includeObject ?? "Metadata";
  const rows = objs.map((obj): TableRow => {
    const row: TableRow = { cells: printer.cells(obj, opts.now) };
    const conditions = printer.conditions?.(obj);
    if (conditions) row.conditions = conditions;
    if (include === "Object") row.object = obj;
    else if (include === "Metadata") row.object = asPartialObjectMetadata(obj);
    return row;
  });
  const metadata: Table["metadata"] = {};
  if (opts.resourceVersion !== undefined) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continue) metadata.continue = opts.continue;
  return { kind: "Table", apiVersion: "meta.k8s.io/v1", metadata, columnDefinitions: printer.columns, rows };
}
