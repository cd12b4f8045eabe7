// Controller history (pkg/controller/history): the ControllerRevisions of a DaemonSet (or a
// StatefulSet). Each revision holds the patch that restores one pod template and is named and
// labelled by that template's hash; the current template's revision is found or made, a
// rollback renumbers the old revision to the top, and old unused revisions are pruned.
import { isAlreadyExists, isNotFound } from "../apis/errors.ts";
import { CONTROLLER_REVISION_HASH, type ControllerRevision } from "../apis/apps/controllerrevision.ts";
import type { PodTemplateSpec } from "../apis/core/pod.ts";
import type { KubeObject } from "../apis/meta.ts";
import type { KubeClient } from "../client/index.ts";
import { resourceFor } from "../client/index.ts";
import { newControllerRef } from "./controller-utils.ts";
import { canonicalJson, computeHash } from "./deployment-util.ts";

const REVISIONS = resourceFor("ControllerRevision");

export interface RevisionControl {
  create(cr: ControllerRevision): Promise<ControllerRevision>;
  setRevision(cr: ControllerRevision, revision: number): Promise<ControllerRevision>;
  delete(cr: ControllerRevision): Promise<void>;
}

/** What a DaemonSet revision stores (getPatch): the template, replacing whatever is there. */
export const templatePatch = (template: PodTemplateSpec): Record<string, unknown> => ({ spec: { template: { ...structuredClone(template), $patch: "replace" } } });

export const sameData = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

export const hashOf = (cr: ControllerRevision): string | undefined => cr.metadata.labels?.[CONTROLLER_REVISION_HASH];

export interface History {
  current: ControllerRevision;
  old: ControllerRevision[];
  /** The owner's collisionCount, raised once per name taken by a different snapshot. */
  collisionCount: number;
}

/**
 * Finds the revision equal to the owner's template (renumbering it to the top if it is an old
 * one being rolled back to) or creates it. A name already taken by another snapshot is a hash
 * collision: the count goes up and the next name is tried (CreateControllerRevision).
 */
export async function currentRevision(
  owner: KubeObject,
  apiVersion: string,
  kind: string,
  template: PodTemplateSpec,
  collisionCount: number | undefined,
  revisions: ControllerRevision[],
  control: RevisionControl,
): Promise<History> {
  const data = templatePatch(template);
  const max = revisions.reduce((m, r) => Math.max(m, r.revision ?? 0), 0);
  const equal = revisions.filter((r) => sameData(r.data, data)).sort((a, b) => b.revision - a.revision);
  let current: ControllerRevision | undefined = equal[0];
  let collisions = collisionCount ?? 0;
  if (current && current.revision < max) current = await control.setRevision(current, max + 1);
  while (!current) {
    const hash = computeHash(template, collisions);
    current = await control.create({
      apiVersion: "apps/v1",
      kind: "ControllerRevision",
      metadata: {
        name: `${owner.metadata.name}-${hash}`,
        namespace: owner.metadata.namespace,
        labels: { ...template.metadata?.labels, [CONTROLLER_REVISION_HASH]: hash },
        ownerReferences: [newControllerRef(owner, apiVersion, kind)],
      },
      data,
      revision: max + 1,
    }).catch((err) => {
      if (!isAlreadyExists(err)) throw err;
      collisions++;
      return undefined;
    });
  }
  const cur = current;
  return { current: cur, old: revisions.filter((r) => r.metadata.uid !== cur.metadata.uid), collisionCount: collisions };
}

/** The template a revision restores (what kube's applyRevision yields for a template patch). */
export function revisionTemplate(cr: ControllerRevision): PodTemplateSpec | undefined {
  const template = (cr.data as { spec?: { template?: PodTemplateSpec & { $patch?: string } } } | undefined)?.spec?.template;
  if (!template) return undefined;
  const { $patch: _, ...rest } = structuredClone(template);
  return rest;
}

/**
 * Old revisions past revisionHistoryLimit that are not live, oldest first. Live = `key(revision)`
 * is in `live`: a DaemonSet's pods carry the revision's hash, a StatefulSet's its name.
 */
export function revisionsToPrune(old: ControllerRevision[], live: Set<string>, limit: number, key: (cr: ControllerRevision) => string | undefined = hashOf): ControllerRevision[] {
  const unused = old.filter((r) => !live.has(key(r) ?? "")).sort((a, b) => a.revision - b.revision);
  return unused.slice(0, Math.max(0, unused.length - limit));
}

export function kubeRevisionControl(client: KubeClient): RevisionControl {
  return {
    async create(cr) {
      try {
        return await client.create(REVISIONS, cr.metadata.namespace, cr);
      } catch (err) {
        // Made by an earlier sync that the cache hasn't caught up with: the same snapshot is it.
        if (!isAlreadyExists(err)) throw err;
        const existing = await client.get<ControllerRevision>(REVISIONS, cr.metadata.namespace, cr.metadata.name!);
        if (!sameData(existing.data, cr.data) || existing.metadata.ownerReferences?.[0]?.uid !== cr.metadata.ownerReferences?.[0]?.uid) throw err;
        return existing;
      }
    },
    setRevision: (cr, revision) =>
      client.patch(REVISIONS, cr.metadata.namespace, cr.metadata.name!, { revision, metadata: { resourceVersion: cr.metadata.resourceVersion } }, "merge"),
    async delete(cr) {
      try {
        await client.delete(REVISIONS, cr.metadata.namespace, cr.metadata.name!, { preconditions: { uid: cr.metadata.uid } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
  };
}
