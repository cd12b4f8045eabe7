// Generates the typed client's inputs: src/client/generated/openapi.json (the v3 documents of
// every served group-version merged into one) and src/client/generated/kube.d.ts (its types,
// by openapi-typescript). Both are committed; src/client/generated/index.ts builds on them.
//
//   bun scripts/gen-client.ts            writes both files
//   bun scripts/gen-client.ts --check    exits 1 when either is stale
import { fileURLToPath } from "node:url";
import { openapiV3GroupVersion, openapiV3Index } from "../src/api/openapi/index.ts";

const ROOT = new URL("../", import.meta.url);
const OUT = new URL("src/client/generated/", ROOT);
export const OPENAPI_FILE = fileURLToPath(new URL("openapi.json", OUT));
export const TYPES_FILE = fileURLToPath(new URL("kube.d.ts", OUT));
const OPENAPI_TYPESCRIPT = fileURLToPath(new URL("node_modules/.bin/openapi-typescript", ROOT));

type Document = { paths: Record<string, unknown>; components: { schemas: Record<string, unknown>; [k: string]: unknown } };

/** One OpenAPI v3 document covering every group-version kubun serves. */
export function mergedDocument(): object {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  let first: Document | undefined;
  for (const gv of Object.keys(openapiV3Index().paths)) {
    const doc = openapiV3GroupVersion(gv) as Document;
    first ??= doc;
    Object.assign(paths, withoutParameterDescriptions(doc.paths));
    Object.assign(schemas, doc.components.schemas);
  }
  const sorted = (o: Record<string, unknown>) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
  return { ...first, paths: sorted(paths), components: { ...first!.components, schemas: sorted(schemas) } };
}

// Parameter descriptions repeat on every operation and would make up most of kube.d.ts.
function withoutParameterDescriptions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutParameterDescriptions);
  if (!value || typeof value !== "object") return value;
  const parameter = "in" in value && "name" in value;
  const kept = Object.entries(value).filter(([k]) => !(parameter && k === "description"));
  return Object.fromEntries(kept.map(([k, v]) => [k, withoutParameterDescriptions(v)]));
}

export const serializeDocument = (doc: object) => `${JSON.stringify(doc, null, 1)}\n`;

/** Runs openapi-typescript over a document file and returns the generated declarations. */
export async function generateTypes(openapiFile: string): Promise<string> {
  const proc = Bun.spawn([OPENAPI_TYPESCRIPT, openapiFile], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`openapi-typescript failed (${code}): ${err}`);
  return out;
}

if (import.meta.main) {
  const json = serializeDocument(mergedDocument());
  if (process.argv.includes("--check")) {
    const stale = json !== (await Bun.file(OPENAPI_FILE).text()) || (await generateTypes(OPENAPI_FILE)) !== (await Bun.file(TYPES_FILE).text());
    console.log(stale ? "generated client is stale: run bun scripts/gen-client.ts" : "generated client is up to date");
    process.exit(stale ? 1 : 0);
  }
  await Bun.write(OPENAPI_FILE, json);
  await Bun.write(TYPES_FILE, await generateTypes(OPENAPI_FILE));
  console.log(`wrote ${OPENAPI_FILE} and ${TYPES_FILE}`);
}
