// The query and path parameters of Kubernetes REST operations, worded as kube-apiserver
// documents them. Rendered into OpenAPI v3 and Swagger 2.0 by v3.ts and v2.ts.

export interface Parameter {
  name: string;
  in: "path" | "query";
  type: "string" | "integer" | "boolean";
  description: string;
  required?: boolean;
}

const query = (name: string, type: Parameter["type"], description: string): Parameter => ({ name, in: "query", type, description });

export const pretty = query("pretty", "string", "If 'true', then the output is pretty printed.");

export const namespace: Parameter = {
  name: "namespace",
  in: "path",
  type: "string",
  required: true,
  description: "object name and auth scope, such as for teams and projects",
};

export const name = (kind: string): Parameter => ({
  name: "name",
  in: "path",
  type: "string",
  required: true,
  description: `name of the ${kind}`,
});

const dryRun = query(
  "dryRun",
  "string",
  "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed",
);
const fieldManager = query(
  "fieldManager",
  "string",
  "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.",
);
// kubectl reads the presence of this parameter on a kind's patch operation as the server's
// promise to validate fields, and then skips its own client-side validation.
const fieldValidation = query(
  "fieldValidation",
  "string",
  "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.",
);
const force = query(
  "force",
  "boolean",
  "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.",
);

const allowWatchBookmarks = query(
  "allowWatchBookmarks",
  "boolean",
  "allowWatchBookmarks requests watch events with type \"BOOKMARK\". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server's discretion.",
);
const continueToken = query(
  "continue",
  "string",
  "The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue).",
);
const fieldSelector = query("fieldSelector", "string", "A selector to restrict the list of returned objects by their fields. Defaults to everything.");
const labelSelector = query("labelSelector", "string", "A selector to restrict the list of returned objects by their labels. Defaults to everything.");
const limit = query(
  "limit",
  "integer",
  "limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results.",
);
const resourceVersion = query(
  "resourceVersion",
  "string",
  "resourceVersion sets a constraint on what resource versions a request may be served from. Defaults to unset.",
);
const resourceVersionMatch = query(
  "resourceVersionMatch",
  "string",
  "resourceVersionMatch determines how resourceVersion is applied to list calls. Defaults to unset.",
);
const sendInitialEvents = query(
  "sendInitialEvents",
  "boolean",
  "`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection.",
);
const timeoutSeconds = query(
  "timeoutSeconds",
  "integer",
  "Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.",
);
const watch = query(
  "watch",
  "boolean",
  "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.",
);

const gracePeriodSeconds = query(
  "gracePeriodSeconds",
  "integer",
  "The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used.",
);
const orphanDependents = query(
  "orphanDependents",
  "boolean",
  "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned.",
);
const propagationPolicy = query(
  "propagationPolicy",
  "string",
  "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. Acceptable values are: 'Orphan', 'Background', 'Foreground'.",
);

/** list and watch */
export const listParameters = [
  allowWatchBookmarks,
  continueToken,
  fieldSelector,
  labelSelector,
  limit,
  resourceVersion,
  resourceVersionMatch,
  sendInitialEvents,
  timeoutSeconds,
  watch,
];
/** create and update (replace) */
export const writeParameters = [dryRun, fieldManager, fieldValidation];
export const patchParameters = [dryRun, fieldManager, fieldValidation, force];
export const deleteParameters = [dryRun, gracePeriodSeconds, orphanDependents, propagationPolicy];
export const deleteCollectionParameters = [
  continueToken,
  dryRun,
  fieldSelector,
  gracePeriodSeconds,
  labelSelector,
  limit,
  orphanDependents,
  propagationPolicy,
  resourceVersion,
  resourceVersionMatch,
  sendInitialEvents,
  timeoutSeconds,
];

export const logParameters = [
  query("container", "string", "The container for which to stream logs. Defaults to only container if there is one container in the pod."),
  query("follow", "boolean", "Follow the log stream of the pod. Defaults to false."),
  query("limitBytes", "integer", "If set, the number of bytes to read from the server before terminating the log output."),
  query("previous", "boolean", "Return previous terminated container logs. Defaults to false."),
  query("sinceSeconds", "integer", "A relative time in seconds before the current time from which to show logs."),
  query("tailLines", "integer", "If set, the number of lines from the end of the logs to show."),
  query("timestamps", "boolean", "If true, add an RFC3339 or RFC3339Nano timestamp at the beginning of every line of log output."),
];

const streamParameters = {
  container: (what: string) => query("container", "string", `The container in which to ${what}. Defaults to only container if there is only one container in the pod.`),
  stderr: (what: string) => query("stderr", "boolean", `Redirect the standard error stream of the pod for this call${what}.`),
  stdin: (what: string) => query("stdin", "boolean", `Redirect the standard input stream of the pod for this call${what}.`),
  stdout: (what: string) => query("stdout", "boolean", `Redirect the standard output stream of the pod for this call${what}.`),
  tty: query("tty", "boolean", "TTY if true indicates that a tty will be allocated for the exec call. Defaults to false."),
};

/** The options of the connect subresources (exec, attach, portforward), sorted by name. */
export const connectParameters: Record<string, Parameter[]> = {
  attach: [
    streamParameters.container("execute the command"),
    streamParameters.stderr(". Defaults to true"),
    streamParameters.stdin(". Defaults to false"),
    streamParameters.stdout(". Defaults to true"),
    streamParameters.tty,
  ],
  exec: [
    query("command", "string", "Command is the remote command to execute. argv array. Not executed within a shell."),
    streamParameters.container("execute the command"),
    streamParameters.stderr(""),
    streamParameters.stdin(""),
    streamParameters.stdout(""),
    streamParameters.tty,
  ],
  portforward: [query("ports", "integer", "List of ports to forward Required when using WebSockets")],
};
