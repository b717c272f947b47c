// A zero-token dry run of a workflow script (for `ocdw validate`): the real sandbox with an in-process backend
// whose agents answer at once with mock values: schema-shaped (the offline model's schema filler) where the call
// asks for a schema, a short text otherwise. gate() runs nothing. Records what the script would do.
import { runScript } from '../script/sandbox.js'
import { createInProcessBackend } from '../script/in-process-backend.js'
import type { ParsedScript } from '../script/meta.js'
import type { AgentCall, WorkflowResolver } from '../machines/types.js'
import { fillSchema } from '../offline/schema-fill.js'

export interface DryRun {
  outcome: Awaited<ReturnType<typeof runScript>>
  calls: AgentCall[]
  gates: string[]
  logs: string[]
  /** Set when the script asked for more agents than `maxAgents` and the dry run stopped it there. */
  tooMany?: number
}

export async function dryRun(parsed: ParsedScript, o: { args?: unknown; maxAgents: number; resolveWorkflow: WorkflowResolver }): Promise<DryRun> {
  const abort = new AbortController()
  let tooMany: number | undefined
  const backend = createInProcessBackend((call) => {
    if (backend.calls.length > o.maxAgents) {
      tooMany = o.maxAgents
      abort.abort()
      return null
    }
    if (call.opts.schema) return fillSchema(call.opts.schema, { prompt: call.prompt })
    return `(mock answer of agent "${call.opts.label ?? call.key}")`
  })
  const outcome = await runScript(parsed, { backend, args: o.args, resolveWorkflow: o.resolveWorkflow, signal: abort.signal })
  return { outcome, calls: backend.calls, gates: backend.gates, logs: backend.logs, ...(tooMany ? { tooMany } : {}) }
}
