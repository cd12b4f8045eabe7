// Objects every cluster starts with.
import { findResource } from "../apis/registry.ts";
import type { Storage } from "./storage.ts";

export const DEFAULT_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

export async function ensureDefaultNamespaces(storage: Storage): Promise<void> {
  const namespaces = findResource("", "v1", "namespaces")!;
  for (const name of DEFAULT_NAMESPACES) {
    try {
      storage.get(namespaces, undefined, name);
    } catch {
      await storage.create(namespaces, undefined, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
    }
  }
}
