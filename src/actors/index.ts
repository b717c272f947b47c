// `ocdw/runtime`: the actor runtime for programs that embed ocdw (start and resume runs on an executor of their own
// or on OpenCode), with the types they need.
export { startRun, defaultConcurrency, DEFAULT_MAX_AGENTS, type StartRunOptions, type RunHandle } from './runtime.js'
export { createOpencodeExecutor, type OpencodeExecutorOptions } from '../opencode/executor.js'
export { startOpencodeServer, basicAuthHeader, type ServerAuth } from '../opencode/server.js'
export { createInstantExecutor } from './instant-executor.js'
export type { AgentCall, AgentExecutor, ExecResult, RunSummary, RuntimeEvent, ControlCommand } from '../machines/types.js'
