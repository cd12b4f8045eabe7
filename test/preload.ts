// Loaded before every test file (bunfig.toml). Servers the tests start, in-process or as child
// processes, inherit this: stored objects are deep-frozen (src/store/json.ts) so a mutation of
// shared state fails loudly.
process.env.KUBUN_FREEZE_STORED = "1";
