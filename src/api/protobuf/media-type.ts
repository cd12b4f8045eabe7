// The protobuf media type alone, so that content negotiation can name it without loading the
// codec (protobufjs and the .proto schemas), which loads with the first protobuf body instead.
export const PROTOBUF_MEDIA_TYPE = "application/vnd.kubernetes.protobuf";
