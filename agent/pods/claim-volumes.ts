// persistentVolumeClaim volumes: the claim's bound PersistentVolume is a directory on this host
// (hostPath or local, as kubun's provisioner and users make them), bind-mounted into the
// containers through CRI mounts, as kubelet mounts a local volume. The data stays where it is
// when containers, the pod or the agent restart.
import { chownSync, chmodSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { PersistentVolume, PersistentVolumeClaim } from "../../src/apis/core/persistentvolume.ts";
import type { Pod, Volume } from "../../src/apis/index.ts";
import { ContainerConfigError } from "./env.ts";

export interface ClaimSource {
  persistentVolumeClaim(namespace: string, name: string): Promise<PersistentVolumeClaim | null>;
  persistentVolume(name: string): Promise<PersistentVolume | null>;
}

/** The host directory of the claim's volume, ready to mount; throws (and the pod waits) until the claim is bound. */
export async function claimVolumePath(pod: Pod, v: Volume, source: ClaimSource): Promise<string> {
  const ns = pod.metadata.namespace ?? "default";
  const claimName = v.persistentVolumeClaim!.claimName;
  const pvc = await source.persistentVolumeClaim(ns, claimName);
  if (!pvc) throw new ContainerConfigError(`persistentvolumeclaim "${claimName}" not found`);
  if (pvc.metadata.deletionTimestamp) throw new ContainerConfigError(`persistentvolumeclaim "${claimName}" is being deleted`);
  const volumeName = pvc.spec?.volumeName;
  if (pvc.status?.phase !== "Bound" || !volumeName) throw new ContainerConfigError(`persistentvolumeclaim "${claimName}" is not bound`);
  const pv = await source.persistentVolume(volumeName);
  const ref = pv?.spec?.claimRef;
  if (!pv || ref?.uid !== pvc.metadata.uid) throw new ContainerConfigError(`persistentvolume "${volumeName}" is not bound to claim "${claimName}"`);
  const path = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
  if (!path) throw new ContainerConfigError(`persistentvolume "${volumeName}" has no host directory`);
  if (!existsSync(path)) {
    if (pv.spec?.hostPath?.type !== "DirectoryOrCreate") throw new ContainerConfigError(`persistentvolume "${volumeName}": ${path} does not exist on this node`);
    // k3s's local-path provisioner makes its directories 0777: any container user may write.
    mkdirSync(path, { recursive: true });
    chmodSync(path, 0o777);
  }
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const m of c.volumeMounts ?? []) if (m.name === v.name && m.subPath) mkdirSync(join(path, m.subPath), { recursive: true });
  }
  const fsGroup = pod.spec?.securityContext?.fsGroup;
  if (fsGroup !== undefined) applyFsGroup(path, fsGroup);
  return path;
}

/**
 * kubelet's SetVolumeOwnership: the volume's files belong to the fsGroup, group-writable, and
 * directories setgid so new files inherit the group.
 */
export function applyFsGroup(path: string, gid: number): void {
  const st = statSync(path);
  chownSync(path, st.uid, gid);
  const dir = st.isDirectory();
  chmodSync(path, (st.mode & 0o7777) | 0o060 | (dir ? 0o2010 : 0));
  if (dir) for (const entry of readdirSync(path)) applyFsGroup(join(path, entry), gid);
}
