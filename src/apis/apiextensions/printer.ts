// `kubectl get` columns of a custom resource from its version's additionalPrinterColumns
// (apiextensions-apiserver's tableconvertor): NAME, then each column's JSONPath value; `date`
// columns print as an age, as upstream does. A version without columns prints NAME and AGE.
import { timestampSince } from "../duration.ts";
import { isObject } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { column, defaultPrinter, type Printer, type TableColumnDefinition } from "../table.ts";
import type { CustomResourceColumnDefinition } from "./types.ts";

type Step = { field: string } | { index: number } | { all: true } | { filter: string[]; op: "==" | "!="; value: string };

const cache = new Map<string, Step[]>();

/**
 * Parses the JSONPath subset CRD columns and selectable fields use: `.a.b`, `.a[0]`, `.a[*]`,
 * `.a[?(@.type=="Ready")].status`, `.metadata.labels['app.kubernetes.io/name']`. Throws on others.
 */
export function parseJSONPath(path: string): Step[] {
  const cached = cache.get(path);
  if (cached) return cached;
  let p = path.trim();
  if (p.startsWith("{") && p.endsWith("}")) p = p.slice(1, -1);
  if (p.startsWith("$")) p = p.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < p.length) {
    if (p[i] === ".") {
      const m = /^\.([A-Za-z0-9_\-]+)/.exec(p.slice(i));
      if (!m) throw new Error(`invalid JSONPath ${JSON.stringify(path)} at ${i}`);
      steps.push({ field: m[1]! });
      i += m[0].length;
    } else if (p[i] === "[") {
      const end = p.indexOf("]", i);
      if (end < 0) throw new Error(`unterminated [ in JSONPath ${JSON.stringify(path)}`);
      const inner = p.slice(i + 1, end);
      const f = /^\?\(@((?:\.[A-Za-z0-9_\-]+)+)\s*(==|!=)\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_.\-]+))\)$/.exec(inner);
      if (inner === "*") steps.push({ all: true });
      else if (/^\d+$/.test(inner)) steps.push({ index: Number(inner) });
      else if (/^'[^']*'$|^"[^"]*"$/.test(inner)) steps.push({ field: inner.slice(1, -1) });
      else if (f) steps.push({ filter: f[1]!.slice(1).split("."), op: f[2] as "==" | "!=", value: f[3] ?? f[4] ?? f[5]! });
      else throw new Error(`unsupported JSONPath expression [${inner}] in ${JSON.stringify(path)}`);
      i = end + 1;
    } else throw new Error(`invalid JSONPath ${JSON.stringify(path)}: expected . or [ at ${i}`);
  }
  if (!steps.length) throw new Error(`empty JSONPath ${JSON.stringify(path)}`);
  cache.set(path, steps);
  return steps;
}

/** Every value the path finds in `obj`. */
export function evalJSONPath(steps: Step[], obj: unknown): unknown[] {
  let cur: unknown[] = [obj];
  for (const s of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      if ("field" in s) {
        if (isObject(v) && v[s.field] !== undefined) next.push(v[s.field]);
      } else if ("index" in s) {
        if (Array.isArray(v) && s.index < v.length) next.push(v[s.index]);
      } else if ("all" in s) {
        if (Array.isArray(v)) next.push(...v);
        else if (isObject(v)) next.push(...Object.values(v));
      } else if (Array.isArray(v)) {
        for (const item of v) {
          let x: unknown = item;
          for (const f of s.filter) x = isObject(x) ? x[f] : undefined;
          const eq = x !== undefined && String(x) === s.value;
          if (s.op === "==" ? eq : x !== undefined && !eq) next.push(item);
        }
      }
    }
    cur = next;
  }
  return cur;
}

const COLUMN_TYPES = new Set(["integer", "number", "string", "boolean", "date"]);

function cell(type: string, v: unknown, now: Date): unknown {
  if (v === undefined || v === null) return null;
  if (type === "date" && typeof v === "string") return timestampSince(v, now);
  if (type === "integer" && typeof v === "number") return Math.trunc(v);
  if (type === "number" && typeof v === "number") return v;
  if (type === "boolean" && typeof v === "boolean") return v;
  if (typeof v === "object") return JSON.stringify(v);
  return type === "string" ? String(v) : v;
}

export function customPrinter(columns: CustomResourceColumnDefinition[] | undefined): Printer {
  if (!columns?.length) return defaultPrinter;
  const defs: TableColumnDefinition[] = [
    column("Name"),
    ...columns.map((c) => ({
      name: c.name,
      type: (COLUMN_TYPES.has(c.type) ? c.type : "string") as TableColumnDefinition["type"],
      format: c.format ?? "",
      description: c.description ?? "",
      priority: c.priority ?? 0,
    })),
  ];
  const paths = columns.map((c) => parseJSONPath(c.jsonPath));
  return {
    columns: defs,
    cells: (obj: KubeObject, now: Date) => [obj.metadata?.name ?? "", ...columns.map((c, i) => cell(c.type, evalJSONPath(paths[i]!, obj)[0], now))],
  };
}
