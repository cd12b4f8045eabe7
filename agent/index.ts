// The node agent (kubelet's role): public surface for `kubun agent`, `kubun up` and `kubun image`.
export { startAgent, DEFAULT_SANDBOX_IMAGE, LOCAL_SANDBOX_IMAGE, type AgentOptions, type RunningAgent } from "./agent.ts";
export { parseAgentArgs, runAgentCommand } from "./command.ts";
export { runImageBuildCommand, buildImage, type BuildImageOptions } from "./images/index.ts";
export { agentLogHandler, type AgentLogHandlerOptions } from "./logs.ts";
export { CriClient, type RuntimeService, type ImageService } from "./cri/index.ts";
