import { setDefaultTimeout } from "bun:test";

// Loaded before every test file (bunfig.toml). Servers the tests start, in-process or as child
// processes, inherit this: stored objects are deep-frozen (src/store/json.ts) so a mutation of
// shared state fails loudly.
process.env.KUBUN_FREEZE_STORED = "1";

// e2e tests start real servers, containerd and kubectl processes: give every test a minute,
// whether or not the runner was given --timeout (bunfig.toml has no such setting).
setDefaultTimeout(60_000);
