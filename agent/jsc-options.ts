// The JavaScriptCore settings a `kubun agent` process runs with, and the re-exec that gives them
// to it. JSC reads its options (BUN_JSC_* in the environment) once, when the VM is made, so a
// process that wants other ones must start again: the agent execve(2)s itself with them added
// before it loads anything else: same PID, same arguments, same stdio, so systemd, the install
// script's pid file and whoever spawned it see one process throughout.
//
// Why these: measured with bench/podstart.ts (20 pods), the agent's memory is mostly what its
// code costs the VM, not its data: bytecode with the profiling data the JIT tiers feed on, JIT
// code, the compilers' own pages. With JSC's defaults the agent is about 105 MB against a 50 MB
// library floor; with the baseline JIT (and so every tier above it) off and the small-heap
// "mini VM" mode, about 80 MB. BUN_JSC_useJIT=0 does as well for memory, but bun:ffi refuses
// to load without the JIT, and the service proxy's splice(2) path needs it; without the
// baseline JIT, JSC still has a JIT for bun:ffi's stubs (and wasm), it just never compiles JS.
// The agent is not CPU-bound (a pod start spends its time in containerd and runc); its hot path,
// the service proxy's bulk traffic, runs in the kernel (splice), its connection path mostly in
// Bun's native code: bench/proxy.ts measures the proxy with these same options. A user who
// wants otherwise sets the variables themselves: one already in the environment is kept.
import { dlopen, FFIType, ptr, read } from "bun:ffi";

/** What `kubun agent` runs with unless the environment already says. */
export const AGENT_JSC_OPTIONS: Readonly<Record<string, string>> = { BUN_JSC_useBaselineJIT: "0", BUN_JSC_forceMiniVMMode: "1" };

/** The environment the agent should run with, or undefined when `env` already has it. */
export function agentEnvironment(env: Record<string, string | undefined>): Record<string, string> | undefined {
  const missing = Object.entries(AGENT_JSC_OPTIONS).filter(([k]) => env[k] === undefined);
  if (missing.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return { ...out, ...Object.fromEntries(missing) };
}

/**
 * Replaces this process with the same command under the agent's JSC options, when they are not
 * in force yet; returns (and the agent carries on with JSC's defaults) only where execve fails.
 * KUBUN_AGENT_REEXEC=0 turns it off (tests that run the command in their own process).
 */
export function reexecWithAgentOptions(): void {
  if (process.platform !== "linux" || process.env.KUBUN_AGENT_REEXEC === "0") return;
  const env = agentEnvironment(process.env);
  if (!env) return;
  const args = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const err = execve(process.execPath, args, env);
  console.error(`kubun agent: could not restart with ${Object.keys(AGENT_JSC_OPTIONS).join(", ")} (execve: errno ${err}); running with JSC's defaults`);
}

/** execve(2) through bun:ffi; returns errno only when it fails. */
function execve(path: string, args: string[], env: Record<string, string>): number {
  const libc = dlopen("libc.so.6", {
    execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
  });
  const keep: Uint8Array[] = [];
  const cString = (s: string) => {
    const b = new TextEncoder().encode(`${s}\0`);
    keep.push(b);
    return ptr(b);
  };
  const cArray = (xs: string[]) => {
    const a = new BigUint64Array(xs.length + 1);
    xs.forEach((x, i) => (a[i] = BigInt(cString(x))));
    return a;
  };
  const argv = cArray(args);
  const envp = cArray(Object.entries(env).map(([k, v]) => `${k}=${v}`));
  libc.symbols.execve(cString(path), argv, envp);
  const at = libc.symbols.__errno_location();
  return at === null ? -1 : read.i32(at);
}
