// Local images: the OCI image-layout builder behind `kubun image build`, and the airgap importer.
export { buildImage, hostArchitecture, rootfsEntries, type BuildImageOptions, type BuiltImage } from "./build.ts";
export { parseImageBuildArgs, runImageBuildCommand } from "./command.ts";
export { ctrImport, imageImporter, type ImageImporter, type ImageImporterOptions } from "./import.ts";
export { imageTagOf, normalizeImageName } from "./reference.ts";
export { tar, type TarEntry } from "./tar.ts";
