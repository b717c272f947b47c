// The `workflow` tool: runs a workflow on the OpenCode server that called it, with the agents as child sessions of
// the calling session. Approval goes through OpenCode's own permission prompt (approval.ts); answers name every
// failure with its reason (outcome.ts). Claude Code's tool contract: scriptPath > script > name, args any JSON value,
// background by default with a wake-up message when the run ends.
import { tool, type ToolContext, type ToolDefinition, type ToolResult } from '@opencode-ai/plugin'
import type { OpencodeClient } from '@opencode-ai/sdk/v2'
import { createOpencodeExecutor } from '../opencode/executor.js'
import { startRun, type RunHandle } from '../actors/runtime.js'
import { approvedSetOf, enforceApproved, type ApprovedSet } from '../actors/approved-set.js'
import { workflowResolver } from '../actors/workflow-lookup.js'
import { parseScript } from '../script/meta.js'
import { approveInOpencode, type PluginMode } from './approval.js'
import { describeOutcome } from './outcome.js'
import { loadSource, readRunScript, resumableRunId } from './script-source.js'
import { sanitizeLine } from '../machines/sanitize.js'
import type { RunSummary } from '../machines/types.js'

export interface PluginRuntime {
  client: OpencodeClient
  /** Only the plugin option in opencode.json sets it (never the environment); 'bypass' is said in every answer. */
  mode: PluginMode
  /** Whether runs may go to the background (not in a one-shot `opencode run`, which would stop them on exit). */
  backgroundByDefault: boolean
  /** Runs started by this plugin instance, so dispose() can stop them (they stay resumable). */
  live: Map<string, RunHandle>
  /** The session each live run was started from (workflow_control without a run id acts on that session's newest). */
  origin: Map<string, string>
}

const z = tool.schema

const WORKFLOW_TOOL_DESCRIPTION =
  'Run an ocdw workflow: a JavaScript orchestration script whose agent() calls each run as a child session of this one ' +
  '(fan out, pipeline, vote, verify). Give `scriptPath` (a script file; wins over the others), `script` (the script ' +
  'text) or `name` (a saved or bundled workflow such as deep-research); `args` is the script\'s input (any JSON ' +
  'value). `resumeFromRunId` resumes a stopped or interrupted run with its finished agents\' results cached ' +
  '("latest" picks the newest, this session\'s first). Runs go to the background by default: the call returns at ' +
  'once with the run id, and when the run ends a message with the result, failed agents and their reasons arrives ' +
  'in this session. `background: false` waits for the result instead. `budget` caps the run\'s tokens.'

const workflowToolArgs = {
  script: z.string().optional().describe('the workflow script source'),
  name: z.string().optional().describe('a saved or bundled workflow to run'),
  scriptPath: z.string().optional().describe('a script file, relative to the project (wins over script and name)'),
  args: z.any().optional().describe("the script's input: any JSON value (object, array, string, number)"),
  resumeFromRunId: z.string().optional().describe('resume this run ("latest": the newest stopped or interrupted run)'),
  title: z.string().optional().describe('a short title for this run, shown while it runs'),
  description: z.string().optional().describe('what this run is for, shown in the approval request'),
  background: z.boolean().optional().describe('default true: return at once and deliver the result in a new message when the run ends'),
  budget: z.number().positive().optional().describe('token budget for the whole run'),
}

/** The tool's arguments, as the schema above infers them. */
type WorkflowToolArgs = Parameters<ReturnType<typeof tool<typeof workflowToolArgs>>['execute']>[0]

export function workflowTool(rt: PluginRuntime): ToolDefinition {
  return tool({ description: WORKFLOW_TOOL_DESCRIPTION, args: workflowToolArgs, execute: (a, ctx) => runWorkflow(rt, a, ctx) })
}

/** One call of the workflow tool: pick the script, approve it, start the run, answer at once or when it ends. */
async function runWorkflow(rt: PluginRuntime, a: WorkflowToolArgs, ctx: ToolContext): Promise<ToolResult> {
  const projectDir = ctx.directory
  const resumeId = a.resumeFromRunId ? resumableRunId(rt, projectDir, ctx.sessionID, a.resumeFromRunId) : undefined
  const source = resumeId ? undefined : loadSource(a, projectDir)
  const scriptText = source ?? readRunScript(projectDir, resumeId!)
  const parsed = parseScript(scriptText)
  // Shown by OpenCode as the tool call's title: the model wrote it, so it is sanitised like everything else shown.
  const label = sanitizeLine(a.title?.trim() || parsed.meta.name)
  // Approval covers the sub-workflows the script names, and only those versions may run (as in the CLI).
  const { sources: subWorkflows, ...approved } = await approvedSetOf(scriptText, workflowResolver(projectDir))
  const request = { projectDir, meta: parsed.meta, source: scriptText, callerDescription: a.description, subWorkflows }
  const approval = await approveInOpencode(rt.mode, ctx, request, (title, message, duration) => toast(rt, message, title, duration))
  const notes = approval.how === 'bypass' ? [BYPASS_NOTE] : []
  const { run, finished } = await startWatchedRun(rt, ctx, label, { projectDir, script: source, resumeRunId: resumeId, args: a.args, budget: a.budget, approved })
  // A one-shot `opencode run` exits when this turn ends, which would stop a background run: wait there instead.
  if (a.background && !rt.backgroundByDefault) notes.push('The run waited in the foreground: this `opencode run` exits when the turn ends, which would stop a background run.')
  if ((a.background ?? true) && rt.backgroundByDefault) {
    void finished.then(
      (summary) => wake(rt, ctx.sessionID, projectDir, `[ocdw workflow ${label} finished]\n${describeOutcome(summary, run.view(), notes)}`, `workflow ${label} ${summary.status}: ${summary.runId}`),
      (err) =>
        wake(rt, ctx.sessionID, projectDir, `[ocdw workflow ${label} failed]\nocdw run ${run.runId} ended with an error: ${(err as Error).message}. Resume it with the workflow tool (resumeFromRunId: "${run.runId}").`, `workflow ${label} failed: ${run.runId}`),
    )
    return {
      title: `workflow ${label} started: ${run.runId}`,
      output: [
        `Started ocdw run ${run.runId} (${parsed.meta.name}) in the background.`,
        ...notes,
        'When it ends, its result, any failed agents with their reasons, and diagnostics arrive in this session as a new message; do not wait or poll for it. workflow_status shows progress; workflow_control stops or steers it.',
      ].join('\n'),
      metadata: { runId: run.runId, background: true, sha256: approval.scriptHash },
    }
  }
  const summary = await untilDoneOrAborted(run, finished, ctx.abort)
  return {
    title: `workflow ${label}: ${summary.status}`,
    output: describeOutcome(summary, run.view(), notes),
    metadata: { runId: run.runId, status: summary.status, sha256: approval.scriptHash },
  }
}

/**
 * Starts (or resumes) the run on the calling OpenCode server, its agents child sessions of the calling session;
 * keeps the tool call's title on the current phase and toasts phases and gates waiting for permission. `finished`
 * settles when the run ends, after the run is forgotten by this plugin instance.
 */
async function startWatchedRun(
  rt: PluginRuntime,
  ctx: ToolContext,
  label: string,
  o: { projectDir: string; script?: string; resumeRunId?: string; args: unknown; budget?: number; approved: ApprovedSet },
): Promise<{ run: RunHandle; finished: Promise<RunSummary> }> {
  const executor = createOpencodeExecutor({ client: rt.client, directory: o.projectDir, parentSessionId: ctx.sessionID })
  let run: RunHandle
  try {
    run = await startRun({
      projectDir: o.projectDir,
      script: o.script,
      resumeRunId: o.resumeRunId,
      args: o.args,
      executor,
      resolveWorkflow: enforceApproved(workflowResolver(o.projectDir), o.approved.workflows),
      approved: o.approved,
      gate: executor.shell?.bind(executor),
      ...(o.budget ? { budget: o.budget } : {}),
      recordOptions: { parentSessionId: ctx.sessionID, via: 'plugin' },
    })
  } catch (err) {
    executor.close()
    throw err
  }
  rt.live.set(run.runId, run)
  rt.origin.set(run.runId, ctx.sessionID)
  ctx.metadata({ title: `workflow ${label}: ${run.runId}`, metadata: { runId: run.runId } })
  const sub = run.events.subscribe((ev) => {
    if (ev.type === 'phase.started') {
      const phase = sanitizeLine(ev.title)
      ctx.metadata({ title: `workflow ${label}: ${phase}`, metadata: { runId: run.runId, phase } })
      void toast(rt, `${label}: phase ${phase}`)
    }
    // A gate whose bash rule says "ask" waits on the run's own permission path (actors/gate-ask.ts): the workflow
    // tool call, whose ctx.ask is OpenCode's dialog, has returned long before in a background run. Say how to answer.
    if (ev.type === 'agent.permission' && ev.key.startsWith('gate-')) {
      const cmd = sanitizeLine(ev.patterns.join(' ').slice(0, 120))
      void toast(rt, `A gate waits for permission to run \`${cmd}\`: answer with \`ocdw permit ${run.runId} --agent ${ev.key} --reply once|always|reject\` or in \`ocdw ui\`.`, `workflow ${label}`, 30_000)
    }
  })
  const finished = run.done.finally(() => {
    sub.unsubscribe()
    executor.close()
    rt.live.delete(run.runId)
    rt.origin.delete(run.runId)
  })
  return { run, finished }
}

/** A foreground run: the user cancelling the tool call (Esc) stops the run; it stays resumable. */
async function untilDoneOrAborted(run: RunHandle, finished: Promise<RunSummary>, abort: AbortSignal): Promise<RunSummary> {
  const onAbort = () => {
    try {
      run.send({ type: 'STOP' })
    } catch {
      /* already ended */
    }
  }
  abort.addEventListener('abort', onAbort, { once: true })
  const summary = await finished
  abort.removeEventListener('abort', onAbort)
  return summary
}

/** Said in every answer of a run that was not approved by the user (the plugin option `mode: "bypass"`). */
export const BYPASS_NOTE =
  'Approval was bypassed: the ocdw plugin runs with the option mode "bypass" in opencode.json, so this workflow ran without asking the user.'

/**
 * Delivers a background run's outcome into the calling session as a real prompt, so the model wakes up and acts on
 * it (a silent note would sit unread until the user types), and toasts it.
 */
async function wake(rt: PluginRuntime, sessionID: string, directory: string, text: string, toastText: string): Promise<void> {
  // Not into a turn that is still running (the model's answer to the tool call): wait until the session is idle.
  await waitIdle(rt, sessionID, directory)
  try {
    await rt.client.session.promptAsync({ sessionID, directory, parts: [{ type: 'text', text }] })
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

async function toast(rt: PluginRuntime, message: string, title?: string, duration?: number): Promise<void> {
  try {
    await rt.client.tui.showToast({ message: sanitizeLine(message), variant: 'info', ...(title ? { title: sanitizeLine(title) } : {}), ...(duration ? { duration } : {}) })
  } catch {
    /* no TUI attached (headless server): nothing to show */
  }
}
