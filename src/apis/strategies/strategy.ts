// What a kind's strategy decides, after kube-apiserver's RESTCreateStrategy, RESTUpdateStrategy
// and RESTDeleteStrategy: how its name is checked, its defaults, its validation and `kubectl get`
// printer, and the kind's own steps around a write. The generic registry (src/api/storage.ts,
// src/api/rest.ts) does what every kind shares and calls these hooks for the rest; a kind
// without a hook gets the generic behaviour.
import type { Causes, JsonObject } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import type { Printer } from "../table.ts";
import { type NameValidator, nameIsDNSSubdomain } from "../validation.ts";

export interface Strategy {
  /** The rule metadata.name (and generateName) must follow. */
  name: NameValidator;
  defaults?(obj: KubeObject): void;
  validate?(errs: Causes, obj: JsonObject): void;
  /** Rules about what may change, on top of validating the new object in full. */
  validateUpdate?(errs: Causes, obj: JsonObject, old: JsonObject): void;
  /** Rules for writes to the status subresource. */
  validateStatus?(errs: Causes, obj: JsonObject, old: JsonObject): void;
  printer?: Printer;
  /** Fields of a request body the kind would drop (a custom resource's pruning); default: from the built-in schemas. */
  unknownFields?(obj: KubeObject): string[];
  /** Finalizers a first delete adds, held until a controller has cleaned up (a CRD's customresourcecleanup). */
  finalizersOnDelete?(obj: KubeObject): readonly string[];

  /** PrepareForCreate: the status a new object starts with (clients don't write it on create). */
  prepareForCreate?(obj: KubeObject): void;
  /** PrepareForUpdate: the kind's merge of a main-resource update `next` onto `current`. */
  prepareForUpdate?(next: KubeObject, current: KubeObject): void;
  /**
   * Whether writes to the main resource may change the status even though the kind has a
   * status subresource (a namespace's phase); otherwise they keep the stored status.
   */
  mainResourceWritesStatus?: boolean;
  /** Seconds a delete waits before the object goes (default 0: at once). */
  gracePeriodSeconds?(obj: KubeObject, requested?: number): number;
  /** Finalizers in the object's spec that hold it after a delete, cleared by a controller (a namespace's). */
  specFinalizers?(obj: KubeObject): readonly string[];
  /** What a delete held by specFinalizers marks on the object (a namespace turns Terminating). */
  markDeleting?(obj: KubeObject): void;
}

/** Kinds without a strategy of their own. */
export const GENERIC: Strategy = { name: nameIsDNSSubdomain };

/** PrepareForCreate of kinds whose status a controller fills in: it starts empty. */
export const emptyStatus = (obj: KubeObject): void => {
  (obj as { status?: object }).status = {};
};

/** Claims and volumes start Pending, until the binder moves them on. */
export const pendingPhase = (obj: KubeObject): void => {
  (obj as { status?: object }).status = { phase: "Pending" };
};
