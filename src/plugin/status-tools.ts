// `workflow_status` and `workflow_control`: the plugin's window onto runs, through the same control channel and run
// directories as the CLI and the TUI.
import { tool, type ToolDefinition } from '@opencode-ai/plugin'
import { fetchLiveView, sendControl } from '../actors/control-client.js'
import { isLive, lastWriteAt, listRunFacts, loadRunView } from '../actors/run-reader.js'
import { runFacts } from '../machines/run-facts.js'
import { listAllWorkflows } from '../actors/workflow-lookup.js'
import { agentTotals } from '../machines/run-view.js'
import { resolveAgentRef } from '../machines/agent-ref.js'
import type { ControlCommand } from '../machines/types.js'
import { findRun, listRuns } from '../store/runs.js'
import type { PluginRuntime } from './run-tool.js'
import { agentResults } from './outcome.js'

const z = tool.schema

export function workflowStatusTool(): ToolDefinition {
  return tool({
    description: 'Status of ocdw workflow runs: one run by id (phases, agents, result), or every run of this project plus the saved workflows.',
    args: { runId: z.string().optional().describe('a run id; omit for all runs') },
    async execute(a, ctx) {
      if (a.runId) {
        const { dir } = findRun(ctx.directory, a.runId)
        const { view, run, live } = await loadRunView(dir)
        const t = agentTotals(view)
        const facts = runFacts(run, view, { live, now: Date.now(), lastWriteAt: lastWriteAt(dir) })
        const lines = [
          `${view.runId} ${view.name}: ${facts.status}${live ? ' (live)' : ''}; agents ${t.done}/${t.total} done, ${t.running} running, ${t.failed} failed; ${facts.tokens} tokens`,
          ...view.phases.map((p) => `  phase ${p.title}: ${p.counts.done} done, ${p.counts.running} running, ${p.counts.queued} queued, ${p.counts.failed} failed`),
          ...view.agents.filter((x) => x.status === 'running' || x.status === 'failed').slice(0, 30).map((x) => `  agent ${x.key} ${x.label}: ${x.status}${x.error ? ` (${x.error})` : ''}`),
        ]
        if (view.result !== undefined) lines.push(`result: ${JSON.stringify(view.result).slice(0, 4000)}`)
        return lines.join('\n')
      }
      const runs = await listRunFacts(ctx.directory)
      const lines = runs.slice(0, 30).map(({ run, facts }) => `${run.id} ${run.name}: ${facts.status}; ${facts.agents.done}/${facts.agents.total} agents; ${facts.tokens} tokens`)
      const saved = listAllWorkflows(ctx.directory).map((w) => `${w.name} (${w.scope})`)
      return [
        runs.length ? `Runs (newest first):\n${lines.join('\n')}` : 'No workflow runs in this project yet.',
        `Workflows: ${saved.join(', ') || 'none'}`,
        'Watch and steer runs live with `ocdw ui` in a terminal.',
      ].join('\n')
    },
  })
}

export function workflowControlTool(rt: PluginRuntime): ToolDefinition {
  return tool({
    description:
      'Control a live ocdw run: stop it, pause/resume it, or stop/restart one agent (by key or label, from workflow_status); ' +
      'or `result`: each agent\'s output (or its error) and the run\'s result, for any run, live or ended. ' +
      'Without runId it acts on the newest live run started from this session (else the newest live run of the project).',
    args: {
      runId: z.string().optional().describe('the run id; omit for the newest live run of this session'),
      action: z.enum(['stop', 'pause', 'resume', 'stop_agent', 'restart_agent', 'result']),
      agent: z.string().optional().describe('agent key or label, for stop_agent/restart_agent'),
    },
    async execute(a, ctx) {
      if (a.action === 'result') return resultOf(rt, ctx.directory, ctx.sessionID, a.runId)
      const runId = a.runId ?? newestLiveRun(rt, ctx.directory, ctx.sessionID)
      const local = rt.live.get(runId)
      const dir = local ? local.runDir : findRun(ctx.directory, runId).dir
      if (!local && !isLive(dir)) {
        throw new Error(`Run ${runId} is not running, so it cannot be controlled; resume it with the workflow tool (resumeFromRunId: "${runId}").`)
      }
      let key: string | undefined
      if (a.action === 'stop_agent' || a.action === 'restart_agent') {
        if (!a.agent) throw new Error(`The ${a.action} action needs the agent's key or label (workflow_status with the run id lists them).`)
        const view = local ? local.view() : await fetchLiveView(dir)
        const ref = resolveAgentRef(view, a.agent, 'workflow_status with the run id lists its agents')
        if (ref.error !== undefined) throw new Error(ref.error)
        key = ref.key
      }
      const command = toCommand(a.action, key)
      if (local) local.send(command)
      else await sendControl(dir, command)
      return `Sent ${command.type}${a.agent ? ` for agent ${a.agent}` : ''} to run ${runId}.`
    },
  })
}

/** Each agent's output: of the run given, else this session's newest live run, else the project's newest run. */
async function resultOf(rt: PluginRuntime, projectDir: string, sessionID: string, runId?: string): Promise<string> {
  const id = runId ?? [...rt.live.keys()].filter((k) => rt.origin.get(k) === sessionID).pop() ?? listRuns(projectDir)[0]?.run.id
  if (!id) throw new Error('There is no ocdw run in this project yet, so there is no result to show; start one with the workflow tool.')
  const local = rt.live.get(id)
  const dir = local ? local.runDir : findRun(projectDir, id).dir
  const view = local ? local.view() : (await loadRunView(dir)).view
  return agentResults(dir, view)
}

/** The run to control when no id was given: this session's newest live run, else the project's newest live run. */
function newestLiveRun(rt: PluginRuntime, projectDir: string, sessionID: string): string {
  const mine = [...rt.live.keys()].filter((id) => rt.origin.get(id) === sessionID)
  if (mine.length) return mine[mine.length - 1]
  const live = listRuns(projectDir).find((r) => isLive(r.dir))
  if (live) return live.run.id
  throw new Error('No ocdw run is live in this project, so there is nothing to control; workflow_status lists the runs, and the workflow tool resumes one (resumeFromRunId).')
}

function toCommand(action: string, key?: string): ControlCommand {
  if (action === 'stop') return { type: 'STOP' }
  if (action === 'pause') return { type: 'PAUSE' }
  if (action === 'resume') return { type: 'RESUME' }
  return action === 'stop_agent' ? { type: 'STOP_AGENT', key: key! } : { type: 'RESTART_AGENT', key: key! }
}
