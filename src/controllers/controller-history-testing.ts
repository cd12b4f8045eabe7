// A RevisionControl over an ObjectCache, for controller tests that seed caches and call sync.
import type { ControllerRevision } from "../apis/apps/controllerrevision.ts";
import type { ObjectCache } from "../client/index.ts";
import { alreadyExists } from "../apis/errors.ts";
import { type RevisionControl, sameData } from "./controller-history.ts";

export function fakeRevisionControl(revisions: ObjectCache<ControllerRevision>): RevisionControl {
  let seq = 0;
  return {
    async create(cr) {
      // As the API server and kubeRevisionControl answer: the same snapshot is returned, another one is a collision.
      const taken = revisions.get(cr.metadata.namespace, cr.metadata.name!);
      if (taken && sameData(taken.data, cr.data)) return taken;
      if (taken) throw alreadyExists({ group: "apps", resource: "controllerrevisions" }, cr.metadata.name!);
      const stored = { ...cr, metadata: { ...cr.metadata, uid: `cr-${cr.revision}-${seq++}` } };
      revisions.set(stored);
      return stored;
    },
    async setRevision(cr, revision) {
      const stored = { ...cr, revision };
      revisions.set(stored);
      return stored;
    },
    async delete(cr) {
      revisions.delete(`${cr.metadata.namespace}/${cr.metadata.name}`);
    },
  };
}
