// Images on the node: the OCI image-layout builder behind `kubun image build`, the airgap importer,
// the pull-secret keyring, registries.yaml for containerd, and image GC.
export { buildImage, hostArchitecture, rootfsEntries, type BuildImageOptions, type BuiltImage } from "./build.ts";
export { parseImageBuildArgs, runImageBuildCommand } from "./command.ts";
export { ctrImport, imageImporter, type ImageImporter, type ImageImporterOptions } from "./import.ts";
export { imageTagOf, normalizeImageName } from "./reference.ts";
export { dockerConfigOf, Keyring, keyringOf, repository } from "./keyring.ts";
export { parseRegistries, readRegistries, watchRegistries, RegistriesError, type Registries } from "./registries.ts";
export { ImageGC, nodeImages, statfsUsage, type ImageGCPolicy } from "./gc.ts";
export { tar, type TarEntry } from "./tar.ts";
