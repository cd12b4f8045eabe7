// The folder tree is the architecture: the controllers, the scheduler, the proxy and the agent are
// separate API clients that share machinery only through src/client (client-go's role), src/apis
// (apimachinery's) and src/pki. None reaches into another for a queue, a clock or a type, so each
// can be read, tested and run alone.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const ROOT = join(import.meta.dir, "..");
const COMPONENTS = ["src/controllers", "src/scheduler", "src/proxy", "agent"];

/** Imports allowed across components, each with its reason. */
const ALLOWED: Record<string, string> = {
  // Composition, not shared machinery: every agent runs its node's service proxy, as a k3s agent
  // runs kube-proxy.
  "agent/agent.ts -> src/proxy/index.ts": "the agent starts the node's proxy",
};

const componentOf = (path: string): string | undefined => COMPONENTS.find((c) => path === c || path.startsWith(`${c}/`));

/** Relative module specifiers of a TypeScript source: static, re-exported and dynamic imports. */
export function importsOf(source: string): string[] {
  const specs: string[] = [];
  for (const m of source.matchAll(/(?:^|\s)(?:import|export)\s[^'"]*?from\s*["'](\.[^"']+)["']|(?:^|[\s(=])import\s*\(?\s*["'](\.[^"']+)["']/gm)) specs.push((m[1] ?? m[2])!);
  return specs;
}

/** "from -> to" for every import from one component into another that ALLOWED does not name. */
export function violations(files: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [file, source] of Object.entries(files)) {
    const from = componentOf(file);
    if (!from) continue;
    for (const spec of importsOf(source)) {
      const target = normalize(join(dirname(file), spec));
      const to = componentOf(target);
      const edge = `${file} -> ${target}`;
      if (to && to !== from && !(edge in ALLOWED)) found.push(edge);
    }
  }
  return found;
}

/**
 * Groups of files that import one another round in a circle, type imports included (Tarjan's
 * strongly connected components): a cycle means two files are one concept, or one of them holds
 * something that belongs to neither.
 */
export function importCycles(files: Record<string, string>): string[][] {
  const edges = new Map<string, string[]>();
  for (const [file, source] of Object.entries(files)) {
    edges.set(file, importsOf(source).map((spec) => normalize(join(dirname(file), spec))).filter((t) => t in files));
  }
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1) cycles.push(group.sort());
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

function sources(dir: string, out: Record<string, string> = {}): Record<string, string> {
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) sources(path, out);
    else if (name.endsWith(".ts")) out[path] = readFileSync(join(ROOT, path), "utf8");
  }
  return out;
}

describe("import rules", () => {
  test.each([
    ["a controller using the scheduler's heap", { "src/controllers/q.ts": 'import { Heap } from "../scheduler/heap.ts";' }, ["src/controllers/q.ts -> src/scheduler/heap.ts"]],
    ["the agent reaching into the controllers", { "agent/pods/w.ts": 'import type { EventRecorder } from "../../src/controllers/context.ts";' }, ["agent/pods/w.ts -> src/controllers/context.ts"]],
    ["a re-export and a dynamic import", { "src/proxy/x.ts": 'export { a } from "../controllers/a.ts";\nconst b = await import("../scheduler/b.ts");' }, ["src/proxy/x.ts -> src/controllers/a.ts", "src/proxy/x.ts -> src/scheduler/b.ts"]],
    ["shared machinery from src/client and types from src/apis", { "src/scheduler/q.ts": 'import { Heap } from "../client/index.ts";\nimport type { Pod } from "../apis/index.ts";' }, []],
    ["a file of the same component", { "src/scheduler/q.ts": 'import { x } from "./queue.ts";' }, []],
  ])("%s", (_, files, want) => {
    expect(violations(files as Record<string, string>)).toEqual(want);
  });

  test("no component imports another's files", () => {
    const files = Object.assign({}, ...COMPONENTS.map((c) => sources(c)));
    expect(Object.keys(files).length).toBeGreaterThan(50);
    expect(violations(files)).toEqual([]);
  });

  test.each([
    ["a type import back is a cycle", { "a.ts": 'import { b } from "./b.ts";', "b.ts": 'import type { A } from "./a.ts";' }, [["a.ts", "b.ts"]]],
    ["three files round", { "x/a.ts": 'import "./b.ts";', "x/b.ts": 'export { c } from "./c.ts";', "x/c.ts": 'import type { A } from "./a.ts";' }, [["x/a.ts", "x/b.ts", "x/c.ts"]]],
    ["a chain is not", { "a.ts": 'import { b } from "./b.ts";', "b.ts": 'import { c } from "./c.ts";', "c.ts": "" }, []],
  ])("importCycles: %s", (_, files, want) => {
    expect(importCycles(files as Record<string, string>)).toEqual(want);
  });

  test("no import cycles in src or agent", () => {
    const files = { ...sources("src"), ...sources("agent") };
    expect(importCycles(files)).toEqual([]);
  });

  test("every allowed exception still exists", () => {
    for (const edge of Object.keys(ALLOWED)) {
      const [file, target] = edge.split(" -> ");
      const specs = importsOf(readFileSync(join(ROOT, file!), "utf8")).map((s) => relative(ROOT, join(ROOT, dirname(file!), s)));
      expect(specs).toContain(target!);
    }
  });
});
