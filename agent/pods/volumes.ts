// Pod volumes backed by host folders under the pod's directory: emptyDir, configMap, secret,
// downwardAPI and projected (their files written by the agent, atomically, and refreshed while
// the pod runs), hostPath as given, and persistentVolumeClaim (claim-volumes.ts).
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { KeyToPath, Pod, Volume } from "../../src/apis/index.ts";
import { VolumePathError, writeVolumeAtomically, type VolumeFiles } from "./atomic-writer.ts";
import { claimVolumePath, type ClaimSource } from "./claim-volumes.ts";
import { ContainerConfigError, configMapData, fieldRefValue, type ObjectSource } from "./env.ts";

export interface PreparedVolume {
  hostPath: string;
  /** configMap, secret, downwardAPI and projected volumes are read-only in the container. */
  readOnly: boolean;
}

type Files = VolumeFiles;

function selectKeys(data: Record<string, Buffer>, items: KeyToPath[] | undefined, what: string, optional?: boolean): Files {
  const files: Files = new Map();
  if (!items?.length) {
    for (const [k, v] of Object.entries(data)) files.set(k, { data: v });
    return files;
  }
  for (const item of items) {
    const v = data[item.key];
    if (v === undefined) {
      if (optional) continue;
      throw new ContainerConfigError(`couldn't find key ${item.key} in ${what}`);
    }
    files.set(item.path, { data: v, mode: item.mode });
  }
  return files;
}

function writeFiles(dir: string, files: Files, defaultMode: number): void {
  try {
    writeVolumeAtomically(dir, files, defaultMode);
  } catch (err) {
    if (err instanceof VolumePathError) throw new ContainerConfigError(err.message);
    throw err;
  }
}

const buffers = (data: Record<string, string>) => Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)]));
const secretBuffers = (s: { data?: Record<string, string>; stringData?: Record<string, string> }) => ({
  ...Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")])),
  ...buffers(s.stringData ?? {}),
});

async function configMapFiles(source: ObjectSource, ns: string, name: string, items: KeyToPath[] | undefined, optional?: boolean): Promise<Files> {
  const cm = await source.configMap(ns, name);
  if (!cm) {
    if (optional) return new Map();
    throw new ContainerConfigError(`configmap "${name}" not found`);
  }
  return selectKeys(buffers(configMapData(cm)), items, `ConfigMap ${ns}/${name}`, optional);
}

async function secretFiles(source: ObjectSource, ns: string, name: string, items: KeyToPath[] | undefined, optional?: boolean): Promise<Files> {
  const s = await source.secret(ns, name);
  if (!s) {
    if (optional) return new Map();
    throw new ContainerConfigError(`secret "${name}" not found`);
  }
  return selectKeys(secretBuffers(s), items, `Secret ${ns}/${name}`, optional);
}

function downwardFiles(pod: Pod, items: { path: string; fieldRef?: { fieldPath: string }; mode?: number }[] = [], podIP?: string): Files {
  const files: Files = new Map();
  for (const item of items) if (item.fieldRef) files.set(item.path, { data: Buffer.from(fieldRefValue(pod, item.fieldRef.fieldPath, { podIP })), mode: item.mode });
  return files;
}

async function prepareVolume(pod: Pod, v: Volume, dir: string, source: ObjectSource, podIP?: string): Promise<PreparedVolume> {
  const ns = pod.metadata.namespace ?? "default";
  if (v.hostPath) {
    const t = v.hostPath.type ?? "";
    if (t === "DirectoryOrCreate") mkdirSync(v.hostPath.path, { recursive: true });
    else if (t === "FileOrCreate" && !existsSync(v.hostPath.path)) {
      mkdirSync(dirname(v.hostPath.path), { recursive: true });
      writeFileSync(v.hostPath.path, "");
    } else if (t && !existsSync(v.hostPath.path)) throw new ContainerConfigError(`hostPath type check failed: ${v.hostPath.path} does not exist`);
    return { hostPath: v.hostPath.path, readOnly: false };
  }
  if (v.emptyDir) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
    return { hostPath: dir, readOnly: false };
  }
  if (v.configMap) {
    writeFiles(dir, await configMapFiles(source, ns, v.configMap.name ?? "", v.configMap.items, v.configMap.optional), v.configMap.defaultMode ?? 0o644);
    return { hostPath: dir, readOnly: true };
  }
  if (v.secret) {
    writeFiles(dir, await secretFiles(source, ns, v.secret.secretName ?? "", v.secret.items, v.secret.optional), v.secret.defaultMode ?? 0o644);
    return { hostPath: dir, readOnly: true };
  }
  if (v.downwardAPI) {
    writeFiles(dir, downwardFiles(pod, v.downwardAPI.items, podIP), v.downwardAPI.defaultMode ?? 0o644);
    return { hostPath: dir, readOnly: true };
  }
  if (v.projected) {
    const files: Files = new Map();
    for (const s of v.projected.sources ?? []) {
      const part = s.configMap
        ? await configMapFiles(source, ns, s.configMap.name ?? "", s.configMap.items, s.configMap.optional)
        : s.secret
          ? await secretFiles(source, ns, s.secret.name ?? "", s.secret.items, s.secret.optional)
          : s.downwardAPI
            ? downwardFiles(pod, s.downwardAPI.items, podIP)
            : new Map();
      for (const [k, f] of part) files.set(k, f);
    }
    writeFiles(dir, files, v.projected.defaultMode ?? 0o644);
    return { hostPath: dir, readOnly: true };
  }
  if (v.persistentVolumeClaim) {
    if (!source.persistentVolumeClaim || !source.persistentVolume) throw new ContainerConfigError(`volume ${v.name}: this agent cannot read claims`);
    const path = await claimVolumePath(pod, v, source as ClaimSource);
    return { hostPath: path, readOnly: v.persistentVolumeClaim.readOnly === true };
  }
  throw new ContainerConfigError(`volume ${v.name}: unsupported volume source`);
}

/** Key of the service account volume in prepareVolumes' map: not a DNS label, so no pod volume has it. */
export const SERVICE_ACCOUNT_VOLUME = "kubun:serviceaccount";
export const SERVICE_ACCOUNT_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";

/** token, ca.crt and namespace of the pod's service account, as kube's kube-api-access volume holds them. */
async function serviceAccountVolume(pod: Pod, dir: string, source: ObjectSource): Promise<PreparedVolume | undefined> {
  if (pod.spec?.automountServiceAccountToken === false || !source.serviceAccountToken) return undefined;
  const sa = await source.serviceAccountToken(pod);
  if (!sa) return undefined; // no such service account: the pod runs without API credentials
  const files: Files = new Map([
    ["token", { data: Buffer.from(sa.token), mode: 0o600 }],
    ["ca.crt", { data: Buffer.from(sa.caCert) }],
    ["namespace", { data: Buffer.from(pod.metadata.namespace ?? "default") }],
  ]);
  writeFiles(dir, files, 0o644);
  return { hostPath: dir, readOnly: true };
}

/** Makes every volume of the pod ready on the host; `podDir` holds the ones the agent owns. */
export async function prepareVolumes(pod: Pod, podDir: string, source: ObjectSource, podIP?: string): Promise<Map<string, PreparedVolume>> {
  const out = new Map<string, PreparedVolume>();
  for (const v of pod.spec?.volumes ?? []) out.set(v.name, await prepareVolume(pod, v, join(podDir, "volumes", v.name), source, podIP));
  const sa = await serviceAccountVolume(pod, join(podDir, "serviceaccount"), source);
  if (sa) out.set(SERVICE_ACCOUNT_VOLUME, sa);
  return out;
}

/** Volumes whose content follows API objects or the pod's metadata, and so is kept up to date. */
const isRefreshed = (v: Volume) => !!(v.configMap || v.secret || v.downwardAPI || v.projected);

/**
 * Rewrites the pod's configMap, secret, downwardAPI and projected volumes from the current objects
 * (kubelet's periodic remount). Unchanged volumes are left alone; containers see a change through
 * the ..data swap, except those mounting a subPath, which keep the file they started with.
 * Resolves with one message per volume that could not be refreshed (it keeps its old files).
 */
export async function refreshVolumes(pod: Pod, podDir: string, source: ObjectSource, podIP?: string): Promise<string[]> {
  const failures: string[] = [];
  for (const v of (pod.spec?.volumes ?? []).filter(isRefreshed)) {
    try {
      await prepareVolume(pod, v, join(podDir, "volumes", v.name), source, podIP);
    } catch (err) {
      failures.push(`MountVolume.SetUp failed for volume "${v.name}" : ${(err as Error).message}`);
    }
  }
  return failures;
}
