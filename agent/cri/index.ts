// The CRI client: kubun's runtime.v1 subset behind the RuntimeService, ImageService and StreamingService interfaces.
export { CriClient, CriError, GRPC_NOT_FOUND, isNotFound, type CriClientOptions } from "./client.ts";
export type * from "./types.ts";
