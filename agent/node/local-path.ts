// This node's half of the local-path provisioner (k3s's local-path-provisioner runs a helper pod
// for it): the node advertises the directory its volumes live in, and removes a volume's
// directory, then the PersistentVolume, once the binder marks a Delete volume Released. The
// controller never touches the node's disk, so several agents on one machine keep their own dirs.
import { rmSync } from "node:fs";
import { join, relative } from "node:path";
import { LOCAL_PATH_DIR_ANNOTATION, localPathVolumeNode, type PersistentVolume } from "../../src/apis/core/persistentvolume.ts";
import { StatusError } from "../../src/apis/errors.ts";
import { Informer, type KubeClient, resourceFor } from "../../src/client/index.ts";

const PVS = resourceFor("PersistentVolume");
const NODES = resourceFor("Node");

export const localPathDir = (dataDir: string) => join(dataDir, "storage");

/** Puts the local-path directory on the Node (a re-registering node may have an old one). */
export async function advertiseLocalPathDir(client: KubeClient, nodeName: string, dir: string, current?: string): Promise<void> {
  if (current === dir) return;
  await client.patch(NODES, undefined, nodeName, { metadata: { annotations: { [LOCAL_PATH_DIR_ANNOTATION]: dir } } }, "merge");
}

/** Removes one released volume: its directory (only one inside `dir`), then the object. */
export async function deleteReleasedVolume(client: KubeClient, pv: PersistentVolume, dir: string): Promise<void> {
  const path = pv.spec?.hostPath?.path;
  const rel = path ? relative(dir, path) : "";
  if (!path || !rel || rel.startsWith("..") || rel.includes("/")) throw new Error(`volume ${pv.metadata.name}: ${path} is not a local-path directory of this node`);
  rmSync(path, { recursive: true, force: true });
  try {
    await client.delete(PVS, undefined, pv.metadata.name!, { preconditions: { uid: pv.metadata.uid } });
  } catch (err) {
    if (!(err instanceof StatusError && (err.code === 404 || err.code === 409))) throw err;
  }
}

export interface LocalPathDeleter {
  stop(): Promise<void>;
}

export function startLocalPathDeleter(opts: { client: KubeClient; nodeName: string; dir: string; log: (msg: string) => void }): LocalPathDeleter {
  const { client, nodeName, dir, log } = opts;
  const informer = new Informer<PersistentVolume>(client.listerWatcher<PersistentVolume>(PVS, {}), { onError: (e) => log(`volume watch: ${e}`) });
  const working = new Set<string>();
  const consider = (pv: PersistentVolume) => {
    if (localPathVolumeNode(pv) !== nodeName || pv.spec?.persistentVolumeReclaimPolicy !== "Delete" || working.has(pv.metadata.name!)) return;
    working.add(pv.metadata.name!);
    deleteReleasedVolume(client, pv, dir)
      .catch((err) => log(`deleting volume ${pv.metadata.name}: ${err}`))
      .finally(() => working.delete(pv.metadata.name!));
  };
  const remove = informer.addEventHandler({ onAdd: consider, onUpdate: (_old, pv) => consider(pv) });
  informer.start();
  return {
    async stop() {
      remove();
      await informer.stop();
    },
  };
}
