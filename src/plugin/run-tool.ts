// The `workflow` tool: runs a workflow on the OpenCode server that called it, with the agents as child sessions of
// the calling session. Approval goes through OpenCode's own permission prompt (ctx.ask), honouring the CLI's consent.
import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { tool, type ToolContext, type ToolDefinition } from '@opencode-ai/plugin'
import type { OpencodeClient } from '@opencode-ai/sdk/v2'
import { createOpencodeExecutor } from '../actors/opencode-executor.js'
import { startRun, type RunHandle } from '../actors/runtime.js'
import { findWorkflow, workflowResolver } from '../actors/workflow-lookup.js'
import type { RunSummary } from '../machines/types.js'
import { parseScript } from '../script/meta.js'
import { hasConsent } from '../store/consent.js'
import { findRun, listRuns } from '../store/runs.js'
import { isLive } from '../actors/run-reader.js'
import { join } from 'node:path'
import { createHash } from 'node:crypto'

export interface PluginRuntime {
  client: OpencodeClient
  mode: 'default' | 'auto' | 'bypass'
  /** Runs started by this plugin instance, so dispose() can stop them (they stay resumable). */
  live: Map<string, RunHandle>
  /** The session each live run was started from (workflow_control without a run id acts on that session's newest). */
  origin: Map<string, string>
}

const z = tool.schema

export function workflowTool(rt: PluginRuntime): ToolDefinition {
  return tool({
    description:
      'Run an ocdw workflow: a JavaScript orchestration script whose agent() calls each run as a child session of this one ' +
      '(fan out, pipeline, vote, verify). Give `script` (the script text), `name` (a saved or bundled workflow such as ' +
      'deep-research) or `scriptPath`; `args` is the script\'s input (JSON or text). `resumeFromRunId` resumes an ' +
      'interrupted run (completed agents answer from its journal; "latest" picks the newest stopped or interrupted run, ' +
      'this session\'s first). `background: true` returns at once and posts the ' +
      'result into this session when the run ends.',
    args: {
      script: z.string().optional().describe('the workflow script source'),
      name: z.string().optional().describe('a saved or bundled workflow to run'),
      scriptPath: z.string().optional().describe('a script file, relative to the project'),
      args: z.string().optional().describe("the script's args: JSON if it parses, else text"),
      resumeFromRunId: z.string().optional().describe('resume this run ("latest": the newest stopped or interrupted run)'),
      background: z.boolean().optional().describe('run in the background and post the result when done'),
    },
    async execute(a, ctx) {
      const projectDir = ctx.directory
      const resumeId = a.resumeFromRunId ? resumableRunId(rt, projectDir, ctx.sessionID, a.resumeFromRunId) : undefined
      const source = resumeId ? undefined : loadSource(a, projectDir)
      const scriptText = source ?? readRunScript(projectDir, resumeId!)
      const parsed = parseScript(scriptText)
      await approveInOpencode(rt, ctx, projectDir, parsed.meta.name, scriptText, parsed.meta.description)
      const executor = createOpencodeExecutor({ client: rt.client, directory: projectDir, parentSessionId: ctx.sessionID })
      let run: RunHandle
      try {
        run = await startRun({
          projectDir,
          script: source,
          resumeRunId: resumeId,
          args: parseArgs(a.args),
          executor,
          resolveWorkflow: workflowResolver(projectDir),
          gate: executor.shell?.bind(executor),
          recordOptions: { parentSessionId: ctx.sessionID, via: 'plugin' },
        })
      } catch (err) {
        executor.close()
        throw err
      }
      rt.live.set(run.runId, run)
      rt.origin.set(run.runId, ctx.sessionID)
      ctx.metadata({ title: `workflow ${parsed.meta.name}: ${run.runId}`, metadata: { runId: run.runId } })
      const sub = run.events.subscribe((ev) => {
        if (ev.type === 'phase.started') {
          ctx.metadata({ title: `workflow ${parsed.meta.name}: ${ev.title}`, metadata: { runId: run.runId, phase: ev.title } })
          void toast(rt, `${parsed.meta.name}: phase ${ev.title}`)
        }
      })
      const finished = run.done.finally(() => {
        sub.unsubscribe()
        executor.close()
        rt.live.delete(run.runId)
        rt.origin.delete(run.runId)
      })
      if (a.background) {
        void finished.then(
          (summary) => postBack(rt, ctx.sessionID, projectDir, `[ocdw background workflow finished]\n${describeSummary(summary)}`, `workflow run ${summary.runId} ${summary.status}`),
          (err) =>
            postBack(rt, ctx.sessionID, projectDir, `[ocdw background workflow failed]\nocdw run ${run.runId} ended with an error: ${(err as Error).message}. Resume it with the workflow tool (resumeFromRunId: "${run.runId}").`, `workflow run ${run.runId} failed`),
        )
        return {
          title: `workflow ${parsed.meta.name} started`,
          output: `Started ocdw run ${run.runId} (${parsed.meta.name}) in the background. Its result will be posted into this session when it ends; \`ocdw ui\` or the workflow_status tool shows progress.`,
          metadata: { runId: run.runId },
        }
      }
      const onAbort = () => {
        try {
          run.send({ type: 'STOP' })
        } catch {
          /* already ended */
        }
      }
      ctx.abort.addEventListener('abort', onAbort, { once: true })
      const summary = await finished
      ctx.abort.removeEventListener('abort', onAbort)
      return { title: `workflow ${parsed.meta.name}: ${summary.status}`, output: describeSummary(summary), metadata: { runId: run.runId, status: summary.status } }
    },
  })
}

function loadSource(a: { script?: string; name?: string; scriptPath?: string }, projectDir: string): string {
  if (a.script) return a.script
  if (a.scriptPath) {
    const path = isAbsolute(a.scriptPath) ? a.scriptPath : resolve(projectDir, a.scriptPath)
    try {
      return readFileSync(path, 'utf8')
    } catch {
      throw new Error(`The workflow script ${a.scriptPath} cannot be read; give a path relative to ${projectDir}.`)
    }
  }
  if (a.name) return findWorkflow(projectDir, a.name).source
  throw new Error('The workflow tool needs one of: script (the source), name (a saved or bundled workflow), scriptPath, or resumeFromRunId.')
}

/**
 * The run to resume: the id (or an unambiguous prefix) given, or for "latest" the newest run of the project that
 * ended without completing (stopped, failed, or interrupted: still marked running with no live process), preferring
 * runs started from this session. A run still live in this plugin is refused: it would be run twice.
 */
export function resumableRunId(rt: Pick<PluginRuntime, 'live'>, projectDir: string, sessionID: string, wanted: string): string {
  let id: string
  if (wanted === 'latest') {
    const candidates = listRuns(projectDir).filter((r) => !['completed', 'denied'].includes(r.run.status) && !rt.live.has(r.run.id) && !isLive(r.dir))
    const pick = candidates.find((r) => (r.run.options as { parentSessionId?: string }).parentSessionId === sessionID) ?? candidates[0]
    if (!pick) throw new Error('There is no stopped or interrupted ocdw run in this project to resume; workflow_status lists the runs.')
    id = pick.run.id
  } else {
    id = findRun(projectDir, wanted).run.id
  }
  if (rt.live.has(id)) {
    throw new Error(`Run ${id} is still running; stop it first (workflow_control with action "stop"), then resume it.`)
  }
  return id
}

function readRunScript(projectDir: string, runId: string): string {
  const path = join(findRun(projectDir, runId).dir, 'script.js')
  try {
    return readFileSync(path, 'utf8')
  } catch {
    throw new Error(`The run ${runId} has no readable script (${path}); it cannot be resumed. Start the workflow again instead.`)
  }
}

function parseArgs(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

async function approveInOpencode(rt: PluginRuntime, ctx: ToolContext, projectDir: string, name: string, source: string, description?: string): Promise<void> {
  if (rt.mode === 'bypass') return
  const scriptHash = createHash('sha256').update(source).digest('hex')
  if (hasConsent({ projectDir, name, scriptHash })) return
  // OpenCode's own permission prompt: ask / always / reject. A reject throws, which ends the tool call.
  await ctx.ask({
    permission: 'workflow',
    patterns: [name],
    always: [name],
    // No undefined values: OpenCode 1.18 then fails to encode the request (GET /permission answers 400).
    metadata: { name, ...(description ? { description } : {}), script: source.slice(0, 4000) },
  })
}

export function describeSummary(s: RunSummary): string {
  const a = s.agents
  const lines = [
    `ocdw run ${s.runId}: ${s.status} — ${a.done}/${a.total} agents done${a.failed ? `, ${a.failed} failed` : ''}${a.stopped ? `, ${a.stopped} stopped` : ''}${a.cached ? `, ${a.cached} from the journal` : ''}; ${s.tokens.total} tokens; ${Math.round(s.elapsedMs / 1000)}s.`,
  ]
  if (s.error) lines.push(`Error: ${s.error}`)
  if (s.status !== 'completed') lines.push(`Resume it with the workflow tool (resumeFromRunId: "${s.runId}") or \`ocdw resume ${s.runId}\`.`)
  lines.push('Result:', typeof s.result === 'string' ? s.result : JSON.stringify(s.result, null, 2))
  lines.push(`Report: ${s.runDir}/report.md`)
  return lines.join('\n')
}

/** Posts a background run's outcome into the calling session as a message (no model turn), and toasts it. */
async function postBack(rt: PluginRuntime, sessionID: string, directory: string, text: string, toastText: string): Promise<void> {
  // Not into a turn that is still running (the model's answer to the tool call): wait until the session is idle.
  await waitIdle(rt, sessionID, directory)
  try {
    await rt.client.session.promptAsync({ sessionID, directory, noReply: true, parts: [{ type: 'text', text }] })
  } catch {
    /* the session may be gone; the result stays in the run directory */
  }
  await toast(rt, toastText)
}

async function waitIdle(rt: PluginRuntime, sessionID: string, directory: string, maxMs = 10 * 60_000): Promise<void> {
  const end = Date.now() + maxMs
  while (Date.now() < end) {
    try {
      const res = await rt.client.session.status({ directory })
      const status = (res.data as Record<string, { type: string }> | undefined)?.[sessionID]
      if (!status || status.type === 'idle') return
    } catch {
      return
    }
    await new Promise((r) => setTimeout(r, 250))
  }
}

async function toast(rt: PluginRuntime, message: string): Promise<void> {
  try {
    await (rt.client as any).tui?.showToast?.({ message, variant: 'info' })
  } catch {
    /* no TUI attached (headless server): nothing to show */
  }
}
