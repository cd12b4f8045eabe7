// Hostile input across every endpoint: at least 10,000 malformed requests — random bytes,
// truncated bodies, wrong content types, huge headers, invalid UTF-8, path traversal and SQL
// metacharacters in names and every string, deep nesting, huge lists, bad selectors, bad
// patches of every type, bad query parameters — sent in-process with app.request().
// Wanted: no 5xx, no crash, and the store (memory and disk) exactly as it was before.
//
// Every mutating request is built to be refused or to be a dry run, so any change to the
// store is a bug; the request that caused it is named. The run is seeded: a failure replays.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDefaultNamespaces } from "../src/api/bootstrap.ts";
import { Storage } from "../src/api/storage.ts";
import { allResources, groupVersion, RESOURCES, storePrefix, type ResourceInfo } from "../src/apis/registry.ts";
import { CRDRegistrar } from "../src/api/crd/index.ts";
import { SqliteStore } from "../src/store/index.ts";
import { ACCEPTS, BAD_PATCHES, BAD_QUERIES, FUZZ_BINDING_SPEC, FUZZ_CR_SPEC, FUZZ_CRD, FUZZ_POLICY_SPEC, HOSTILE_NAMES, HOSTILE_STRINGS, PATCH_TYPES, REFUSED_WRITE_QUERIES, UNSUPPORTED_CONTENT_TYPES } from "./fuzz-cases.ts";
import { FUZZ_TOKEN as TOKEN, fuzzApp } from "./helpers/fuzz-app.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 7);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_500);

/** mulberry32: small, seedable, good enough to pick cases. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]!, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof rng>;

const tmp = mkdtempSync(join(tmpdir(), "kubun-fuzz-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** An admission webhook that is never called: the fuzz run writes only refused requests and dry runs. */
const webhook = (name: string) => ({
  name: `${name}.fuzz.kubun.io`,
  clientConfig: { url: "https://127.0.0.1:1/x", caBundle: "" },
  rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["configmaps", "pods/status"], scope: "Namespaced" }],
  namespaceSelector: { matchLabels: { app: "fuzz" } },
  sideEffects: "None",
  admissionReviewVersions: ["v1"],
  matchConditions: [{ name: "has-object", expression: "object != null && request.operation == 'CREATE'" }],
});

function seedObject(r: ResourceInfo, name: string): Record<string, unknown> {
  const metadata = { name, labels: { app: "fuzz" } };
  const base = { apiVersion: groupVersion(r), kind: r.kind, metadata };
  const container = { name: "c", image: "local/busybox:1" };
  const selector = { matchLabels: { app: "fuzz" } };
  const template = { metadata: { labels: { app: "fuzz" } }, spec: { containers: [container] } };
  const rule = { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] };
  const roleRef = { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" };
  const specs: Record<string, Record<string, unknown>> = {
    pods: { spec: { containers: [container], nodeName: "n1" } },
    services: { spec: { ports: [{ port: 80 }], selector: { app: "fuzz" } } },
    configmaps: { data: { k: "v" } },
    secrets: { data: { password: "aHVudGVyMg==" } },
    deployments: { spec: { replicas: 1, selector, template } },
    replicasets: { spec: { replicas: 1, selector, template } },
    leases: { spec: { holderIdentity: "n1" } },
    endpointslices: { addressType: "IPv4", endpoints: [] },
    events: { involvedObject: { kind: "Pod", name: "p", namespace: "default" }, reason: "Fuzz", message: "m" },
    roles: { rules: [rule] },
    clusterroles: { rules: [rule, { verbs: ["get"], nonResourceURLs: ["/healthz"] }], aggregationRule: { clusterRoleSelectors: [selector] } },
    rolebindings: { roleRef, subjects: [{ kind: "User", name: "u" }, { kind: "ServiceAccount", name: "sa" }] },
    resourcequotas: { spec: { hard: { pods: "2", "requests.cpu": "1", "limits.memory": "1Gi", "count/deployments.apps": 3 }, scopes: ["NotBestEffort", "NotTerminating"] } },
    limitranges: {
      spec: {
        limits: [
          { type: "Container", max: { cpu: "2" }, min: { cpu: "100m" }, default: { cpu: "1", memory: "256Mi" }, defaultRequest: { cpu: "500m" }, maxLimitRequestRatio: { cpu: 4 } },
          { type: "Pod", max: { memory: "1Gi" } },
        ],
      },
    },
    networkpolicies: {
      spec: {
        podSelector: selector,
        ingress: [{ from: [{ podSelector: selector, namespaceSelector: {} }, { ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } }], ports: [{ port: 80, endPort: 90 }, { port: "http" }] }],
        egress: [{ to: [{ namespaceSelector: selector }], ports: [{ protocol: "UDP", port: 53 }] }],
      },
    },
    clusterrolebindings: { roleRef, subjects: [{ kind: "Group", name: "g" }, { kind: "ServiceAccount", name: "sa", namespace: "default" }] },
    poddisruptionbudgets: { spec: { minAvailable: 1, selector, unhealthyPodEvictionPolicy: "AlwaysAllow" } },
    validatingwebhookconfigurations: { webhooks: [webhook("v")] },
    mutatingwebhookconfigurations: { webhooks: [{ ...webhook("m"), reinvocationPolicy: "IfNeeded" }] },
    customresourcedefinitions: { spec: FUZZ_CRD.spec },
    validatingadmissionpolicies: FUZZ_POLICY_SPEC,
    validatingadmissionpolicybindings: FUZZ_BINDING_SPEC,
  };
  if (r.custom) return { ...base, ...FUZZ_CR_SPEC };
  return { ...base, ...specs[r.resource] };
}

/** Replaces every string in a value (keys included) by a hostile one. */
function poison(v: unknown, rand: Rng): unknown {
  if (typeof v === "string") return rand.pick(HOSTILE_STRINGS);
  if (Array.isArray(v)) return v.map((x) => poison(x, rand));
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [rand.chance(0.3) ? rand.pick(HOSTILE_STRINGS) : k, poison(x, rand)]));
  }
  return v;
}

function randomBytes(rand: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rand.int(256);
  return b;
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array | string;
}

const enc = new TextEncoder();
const INVALID_UTF8 = [0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc, 0xff, 0xfe];

/** A body that never decodes to a valid object (or that only a dry run may accept). */
function hostileBody(rand: Rng, r: ResourceInfo, name: string, asPatch = false): { body: Uint8Array | string; type: string; refused: boolean } {
  const valid = JSON.stringify(seedObject(r, name));
  // Bodies of megabytes are few: they cost the test time and their path is the same each time.
  switch (rand.chance(0.04) ? rand.pick([5, 6]) : rand.pick([0, 1, 2, 3, 4, 7, 8, 9, 10])) {
    case 0:
      return { body: randomBytes(rand, 1 + rand.int(2000)), type: rand.pick(["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"]), refused: true };
    case 1:
      // At least one byte: an empty body is a valid (empty) review for whoami's selfsubjectreviews.
      return { body: valid.slice(0, 1 + rand.int(valid.length - 2)), type: rand.pick(["application/json", "application/yaml"]), refused: true };
    case 2: {
      const bytes = enc.encode(valid);
      const at = 1 + rand.int(bytes.length - 2);
      return { body: new Uint8Array([...bytes.slice(0, at), ...INVALID_UTF8.slice(rand.int(6)), ...bytes.slice(at)]), type: "application/json", refused: true };
    }
    case 3:
      // As a patch the content type is the patch type: the body is then a well-formed patch.
      return { body: valid, type: rand.pick(UNSUPPORTED_CONTENT_TYPES), refused: !asPatch };
    case 4: {
      const depth = rand.pick([101, 1000, 50_000]);
      const open = rand.chance(0.5) ? '{"a":'.repeat(depth) : "[".repeat(depth);
      const close = open.startsWith("{") ? "}".repeat(depth) : "]".repeat(depth);
      return { body: `{"metadata":{"name":"deep"},"spec":${open}1${close}}`, type: "application/json", refused: true };
    }
    case 5: {
      // Huge lists under 3 MiB: the name stays hostile, so validation must refuse the whole object.
      const obj = seedObject(r, "%%bad%%") as Record<string, any>;
      obj.metadata.finalizers = Array.from({ length: rand.pick([1000, 5000]) }, (_, i) => `f/${i}`);
      obj.spec = { ...obj.spec, containers: Array.from({ length: 500 }, (_, i) => ({ name: `c${i}`, image: "x" })) };
      // The virtual reviews store nothing and echo metadata unvalidated, as kube-apiserver does.
      return { body: JSON.stringify(obj), type: "application/json", refused: r.verbs.includes("get") };
    }
    case 6:
      return { body: "x".repeat(3 * 1024 * 1024 + 1 + rand.int(100)), type: "application/json", refused: true };
    case 7:
      return { body: JSON.stringify(poison(seedObject(r, name), rand)), type: "application/json", refused: false };
    case 8:
      return { body: JSON.stringify({ ...seedObject(r, name), apiVersion: rand.pick(["v2", "apps/v1", "", 5]), kind: rand.pick(["Other", "", null]) }), type: "application/json", refused: !asPatch };
    case 9:
      return { body: JSON.stringify({ ...seedObject(r, name), metadata: rand.pick([null, [], "x", 5, { name: "x", namespace: "other-ns" }]) }), type: "application/json", refused: false };
    default:
      return { body: rand.pick(["null", "[]", "1", '"s"', "true", "{}", '{"metadata":{}}', "\u0000", "\ufeff{}"]), type: rand.pick(["application/json", "application/yaml"]), refused: false };
  }
}

class Generator {
  private readonly discovery: string[];

  constructor(
    private readonly rand: Rng,
    private readonly existing: Map<ResourceInfo, string>,
  ) {
    const groups = [...new Set(allResources().map((r) => r.group).filter((g) => g))];
    this.discovery = [
      "/api", "/api/v1", "/api/v2", "/apis", "/version", "/healthz", "/openapi/v2", "/openapi/v3",
      "/openapi/v3/api/v1", "/openapi/v3/apis/apps/v1", "/openapi/v3/..%2F..%2Fetc", "/openapi/v3/%ff",
      "/apis/nope", "/apis/nope/v1", "/api/v1/nope", "/apis/apps/v1/nope/x", "/", "/%2e%2e/%2e%2e/etc/passwd",
      "/api/..%2F..%2F", "/api/v1/namespaces/default/pods/%2e%2e%2F%2e%2e", "/api/v1/watch", "/api/v1/watch/%ff",
      ...groups.flatMap((g) => [`/apis/${g}`, `/apis/${g}/v1`, `/apis/${g}/v9`]),
    ];
  }

  next(): FuzzRequest & { mustRefuse: boolean } {
    const rand = this.rand;
    if (rand.chance(0.06)) {
      const path = rand.pick(this.discovery);
      return { method: rand.pick(["GET", "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]), path, headers: this.headers(), body: rand.chance(0.3) ? randomBytes(rand, 64) : undefined, mustRefuse: true };
    }
    const r = rand.pick([...this.existing.keys()]);
    const ns = r.namespaced ? rand.pick(["default", "default", "kube-system", "no-such-ns", "%27%3B--", "..", "%ff"]) : undefined;
    const base = `/${r.group ? `apis/${r.group}` : "api"}/${r.version}`;
    const collection = ns === undefined ? `${base}/${r.resource}` : rand.chance(0.1) ? `${base}/${r.resource}` : `${base}/namespaces/${ns}/${r.resource}`;
    const existing = this.existing.get(r)!;
    const hostileName = rand.chance(0.5);
    const name = hostileName ? rand.pick(HOSTILE_NAMES) : existing;
    const sub = rand.chance(0.3) && r.subresources.length ? rand.pick([...r.subresources.map((s) => s.name), "nope", "..", "exec"]) : undefined;
    const item = `${collection}/${name}${sub ? `/${sub}` : ""}`;
    const query: string[] = [];
    for (let i = rand.int(3); i > 0; i--) query.push(rand.pick(BAD_QUERIES));
    const headers = this.headers();
    const method = rand.pick(["GET", "GET", "POST", "PUT", "PATCH", "PATCH", "DELETE", "HEAD", "OPTIONS"]);
    let path = method === "POST" && !sub ? collection : rand.chance(0.2) ? collection : item;
    if (path === collection && rand.chance(0.3)) query.push("watch=1");
    let body: Uint8Array | string | undefined;
    let refused = true;
    if (method === "PATCH") {
      const type = rand.pick(PATCH_TYPES);
      headers["content-type"] = type;
      if (rand.chance(0.7)) {
        body = rand.pick(BAD_PATCHES[type]!);
        refused = false;
      } else {
        const h = hostileBody(rand, r, name, true);
        body = h.body;
        refused = h.refused;
      }
      if (type === "application/apply-patch+yaml" && rand.chance(0.7)) query.push("fieldManager=fuzz");
    } else if (method === "POST" || method === "PUT" || (method === "DELETE" && rand.chance(0.4))) {
      const h = hostileBody(rand, r, hostileName ? decodeURIComponentSafe(name) : name);
      body = h.body;
      headers["content-type"] = h.type;
      refused = h.refused;
      if (method === "DELETE" && rand.chance(0.5)) {
        body = rand.pick(['{"gracePeriodSeconds":"x"}', '{"dryRun":"All"}', '{"dryRun":5}', '{"preconditions":"x"}', '{"preconditions":{"uid":5}}', '{"propagationPolicy":["x"]}', '{"kind":"DeleteOptions","apiVersion":"v9"}']);
        refused = false;
      }
    } else if (method === "DELETE") refused = false;
    // Whatever might be accepted runs as a dry run, unless something on the request must be refused.
    const writes = method !== "GET" && method !== "HEAD" && method !== "OPTIONS";
    if (writes && !refused) query.push(rand.chance(0.9) ? "dryRun=All" : method === "DELETE" ? "dryRun=Some" : rand.pick(REFUSED_WRITE_QUERIES));
    if (query.length) path += `?${query.join("&")}`;
    return { method, path, headers, body, mustRefuse: refused };
  }

  private headers(): Record<string, string> {
    const rand = this.rand;
    const h: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
    if (rand.chance(0.03)) h.authorization = rand.pick(["Bearer wrong", "Basic YTpi", "", `Bearer ${"t".repeat(10_000)}`, "Bearer"]);
    if (rand.chance(0.3)) h.accept = rand.pick(ACCEPTS);
    if (rand.chance(0.05)) h["user-agent"] = "u".repeat(64 * 1024);
    if (rand.chance(0.05)) for (let i = 0; i < 200; i++) h[`x-fuzz-${i}`] = rand.pick(HOSTILE_STRINGS).replace(/[^\x20-\x7e]/g, "?");
    if (rand.chance(0.05)) Object.assign(h, { upgrade: "websocket", connection: "Upgrade", "sec-websocket-protocol": rand.pick(["v5.channel.k8s.io", "bogus", ",,,"]) });
    if (rand.chance(0.05)) h["content-length"] = rand.pick(["-1", "abc", "99999999999", "0"]);
    return h;
  }
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function dump(store: SqliteStore, resources: readonly ResourceInfo[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of resources) {
    for (const e of store.list(storePrefix(r)).items) out.set(e.key, JSON.stringify(e));
  }
  out.set("#revision", String(store.revision));
  return out;
}

test(`fuzz: ${REQUESTS} hostile requests, no 5xx, store unchanged`, async () => {
  const dbPath = join(tmp, "state.db");
  const store = new SqliteStore(dbPath);
  const storage = new Storage(store);
  await ensureDefaultNamespaces(storage);
  const app = fuzzApp(storage);

  const existing = new Map<ResourceInfo, string>();
  // The CRD of FUZZ_CRD is created with the built-in kinds; once served, its custom resource is fuzzed too.
  const crds = new CRDRegistrar(storage);
  await crds.start();
  const seed = async (resources: readonly ResourceInfo[]) => {
  for (const r of resources) {
    const name = r.resource === "namespaces" ? "fuzz" : r.resource === "customresourcedefinitions" ? FUZZ_CRD.metadata.name : `${r.resource.slice(0, 3)}-seed`;
    const base = `/${r.group ? `apis/${r.group}` : "api"}/${r.version}`;
    const path = r.namespaced ? `${base}/namespaces/default/${r.resource}` : `${base}/${r.resource}`;
    const res = await app.request(path, { method: "POST", body: JSON.stringify(seedObject(r, name)), headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" } });
    // Create-only resources (access reviews) and ones this seed doesn't fit are fuzzed with a name that isn't there.
    existing.set(r, res.status === 201 && r.verbs.includes("get") ? name : "not-there");
  }
  };
  await seed(RESOURCES);
  await store.settled();
  await crds.settled();
  const custom = allResources().filter((r) => r.custom);
  expect(custom.map((r) => r.kind)).toEqual(["Fuzz"]);
  await seed(custom);
  expect(existing.get(custom[0]!)).toBe("fuz-seed");
  await store.settled();
  await crds.settled();
  // Custom resources stop being served with the registrar: the same list is dumped throughout.
  const dumped = allResources();
  const before = dump(store, dumped);

  const gen = new Generator(rng(SEED), existing);
  const serverErrors: string[] = [];
  const writes: string[] = [];
  const statuses = new Map<number, number>();
  let revision = store.revision;
  for (let i = 0; i < REQUESTS; i++) {
    const req = gen.next();
    const label = `#${i} ${req.method} ${req.path.slice(0, 200)} [${req.headers["content-type"] ?? ""}] ${typeof req.body === "string" ? req.body.slice(0, 120) : req.body ? `<${req.body.byteLength} bytes>` : ""}`;
    let res: Response;
    const t0 = performance.now();
    try {
      res = await app.request(req.path, { method: req.method, headers: req.headers, body: req.method === "GET" || req.method === "HEAD" ? undefined : req.body });
    } catch (err) {
      serverErrors.push(`${label} threw ${String(err).slice(0, 300)}`);
      continue;
    }
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    const isWatch = res.status === 200 && /[?&]watch=(1|true)/.test(req.path);
    const text = isWatch ? (await res.body?.cancel(), "") : await res.text().catch((e) => `<body error ${e}>`);
    if (res.status >= 500) serverErrors.push(`${label} → ${res.status} ${text.slice(0, 300)}`);
    if (req.mustRefuse && res.status < 400 && req.method !== "GET" && req.method !== "HEAD" && req.method !== "OPTIONS") {
      serverErrors.push(`${label} → ${res.status}: accepted a body that must be refused`);
    }
    await store.settled();
    const dt = performance.now() - t0;
    if (process.env.FUZZ_PROFILE) console.log(`took ${dt.toFixed(2)} ${req.method} ${typeof req.body === "string" ? req.body.length : req.body?.byteLength ?? 0} ${Object.keys(req.headers).length} ${label.slice(0, 150)}`);
    if (store.revision !== revision) {
      writes.push(`${label} → ${res.status} wrote revision ${store.revision}`);
      revision = store.revision;
    }
  }

  crds.stop();
  const after = dump(store, dumped);
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k));
  await store.close();
  // The disk agrees with memory: a fresh store replayed from the file dumps the same.
  const reopened = new SqliteStore(dbPath);
  const replayed = dump(reopened, dumped);
  await reopened.close();
  const diskChanged = [...before.keys()].filter((k) => before.get(k) !== replayed.get(k));

  const fiveXX = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
  console.log(
    `fuzz: seed ${SEED}, ${REQUESTS} requests tried, ${fiveXX} 5xx seen, ${writes.length} writes, ${changed.length} store keys changed; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`,
  );
  expect(serverErrors.slice(0, 20)).toEqual([]);
  expect(writes.slice(0, 20)).toEqual([]);
  expect(changed).toEqual([]);
  expect(diskChanged).toEqual([]);
  expect(replayed.size).toBe(before.size);
}, 300_000);
