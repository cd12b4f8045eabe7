// CustomResourceDefinitions in the API server: the registrar that serves them (registrar.ts).
export { CRDRegistrar, CRDS } from "./registrar.ts";
export { desiredStatus, namesConflict } from "./naming.ts";
