// The protobuf schema of the served kinds: kubun's own .proto files (upstream field numbers),
// parsed once into one protobufjs Root, and the lookup from apiVersion/kind to a message type.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";
import { RESOURCES, groupVersion } from "../../apis/registry.ts";

const PROTO_FILES = [
  "runtime.proto",
  "util.proto",
  "resource.proto",
  "meta.proto",
  "core.proto",
  "core-pod.proto",
  "core-scheduling.proto",
  "apps.proto",
  "batch.proto",
  "coordination.proto",
  "discovery.proto",
  "autoscaling.proto",
  "authorization.proto",
  "authentication.proto",
  "rbac.proto",
  "policy.proto",
];

export const META = "k8s.io.apimachinery.pkg.apis.meta.v1";

let root: protobuf.Root | undefined;

/** The parsed schema; parsed on first use so servers that never see protobuf pay nothing. */
export function schema(): protobuf.Root {
  if (root) return root;
  const r = new protobuf.Root();
  // keepCase: the proto field names already are the JSON names (even DaemonEndpoint's "Port").
  for (const file of PROTO_FILES) protobuf.parse(readFileSync(join(import.meta.dir, file), "utf8"), r, { keepCase: true });
  r.resolveAll();
  root = r;
  return r;
}

export function messageType(fullName: string): protobuf.Type {
  return schema().lookupType(fullName);
}

/** Protobuf package of an API group, as go-to-protobuf names it: k8s.io.api.<first label>.<version>. */
function packageOf(group: string, version: string): string {
  return `k8s.io.api.${group.split(".")[0] || "core"}.${version}`;
}

// Bodies that are not a served resource's own kind but are posted to one (subresources, delete).
const EXTRA_KINDS: Record<string, string> = {
  "v1/Binding": "k8s.io.api.core.v1.Binding",
  "autoscaling/v1/Scale": "k8s.io.api.autoscaling.v1.Scale",
  "authentication.k8s.io/v1/TokenRequest": "k8s.io.api.authentication.v1.TokenRequest",
  "policy/v1/Eviction": "k8s.io.api.policy.v1.Eviction",
  "policy/v1beta1/Eviction": "k8s.io.api.policy.v1.Eviction",
};

let kinds: Map<string, string> | undefined;

function kindTable(): Map<string, string> {
  if (kinds) return kinds;
  kinds = new Map(Object.entries(EXTRA_KINDS));
  for (const r of RESOURCES) kinds.set(`${groupVersion(r)}/${r.kind}`, `${packageOf(r.group, r.version)}.${r.kind}`);
  return kinds;
}

/** The message type of apiVersion/kind, or undefined when kubun has no schema for it. */
export function typeForKind(apiVersion: string, kind: string): protobuf.Type | undefined {
  // DeleteOptions is registered in every group version.
  const name = kind === "DeleteOptions" ? `${META}.DeleteOptions` : kindTable().get(`${apiVersion}/${kind}`);
  if (!name) return undefined;
  const found = schema().lookup(name);
  return found instanceof protobuf.Type ? found : undefined;
}
