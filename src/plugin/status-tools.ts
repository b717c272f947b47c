// `workflow_status` and `workflow_control`: the plugin's window onto runs, through the same control channel and run
// directories as the CLI and the TUI.
import { tool, type ToolDefinition } from '@opencode-ai/plugin'
import { sendControl } from '../actors/control-client.js'
import { isLive, loadRunView } from '../actors/run-reader.js'
import { listAllWorkflows } from '../actors/workflow-lookup.js'
import { agentTotals, totalTokens } from '../machines/run-view.js'
import type { ControlCommand } from '../machines/types.js'
import { findRun, listRuns } from '../store/runs.js'
import type { PluginRuntime } from './run-tool.js'

const z = tool.schema

export function workflowStatusTool(): ToolDefinition {
  return tool({
    description: 'Status of ocdw workflow runs: one run by id (phases, agents, result), or every run of this project plus the saved workflows.',
    args: { runId: z.string().optional().describe('a run id; omit for all runs') },
    async execute(a, ctx) {
      if (a.runId) {
        const { dir } = findRun(ctx.directory, a.runId)
        const { view, live } = await loadRunView(dir)
        const t = agentTotals(view)
        const lines = [
          `${view.runId} ${view.name}: ${view.status}${live ? ' (live)' : ''}; agents ${t.done}/${t.total} done, ${t.running} running, ${t.failed} failed; ${totalTokens(view.tokens)} tokens`,
          ...view.phases.map((p) => `  phase ${p.title}: ${p.counts.done} done, ${p.counts.running} running, ${p.counts.queued} queued, ${p.counts.failed} failed`),
          ...view.agents.filter((x) => x.status === 'running' || x.status === 'failed').slice(0, 30).map((x) => `  agent ${x.key} ${x.label}: ${x.status}${x.error ? ` (${x.error})` : ''}`),
        ]
        if (view.result !== undefined) lines.push(`result: ${JSON.stringify(view.result).slice(0, 4000)}`)
        return lines.join('\n')
      }
      const runs = listRuns(ctx.directory)
      const lines = runs.slice(0, 30).map((r: any) => {
        const run = r.run ?? r
        const live = r.dir ? isLive(r.dir) : false
        const status = run.status === 'running' && !live ? 'interrupted' : run.status
        return `${run.id} ${run.name}: ${status}; ${run.totals?.agents?.done ?? 0}/${run.totals?.agents?.total ?? 0} agents`
      })
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
    description: 'Control a live ocdw run: stop it, pause/resume it, or stop/restart one agent (by key, from workflow_status).',
    args: {
      runId: z.string(),
      action: z.enum(['stop', 'pause', 'resume', 'stop_agent', 'restart_agent']),
      agent: z.string().optional().describe('agent key, for stop_agent/restart_agent'),
    },
    async execute(a, ctx) {
      const command = toCommand(a.action, a.agent)
      const local = rt.live.get(a.runId)
      if (local) local.send(command)
      else await sendControl(findRun(ctx.directory, a.runId).dir, command)
      return `Sent ${command.type}${a.agent ? ` for agent ${a.agent}` : ''} to run ${a.runId}.`
    },
  })
}

function toCommand(action: string, agent?: string): ControlCommand {
  if (action === 'stop') return { type: 'STOP' }
  if (action === 'pause') return { type: 'PAUSE' }
  if (action === 'resume') return { type: 'RESUME' }
  if (!agent) throw new Error(`The ${action} action needs the agent's key (workflow_status with the run id lists them).`)
  return action === 'stop_agent' ? { type: 'STOP_AGENT', key: agent } : { type: 'RESTART_AGENT', key: agent }
}
