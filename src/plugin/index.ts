// The ocdw OpenCode plugin: `"plugin": ["ocdw"]` (or the path `ocdw setup` writes) in opencode.json loads it.
// Tools: workflow, workflow_status, workflow_control. Commands: /workflow, /workflows, /deep-research, /ultracode and
// one per saved workflow. Ultracode mode through the chat hooks.
import type { Hooks, Plugin, PluginInput, PluginOptions } from '@opencode-ai/plugin'
import { createOpencodeClient, type OpencodeClient } from '@opencode-ai/sdk/v2'
import { listAllWorkflows } from '../actors/workflow-lookup.js'
import { parseScript } from '../script/meta.js'
import { readFileSync } from 'node:fs'
import { builtinCommands, savedWorkflowCommand, type CommandDef } from './commands.js'
import { workflowTool, type PluginRuntime } from './run-tool.js'
import { workflowControlTool, workflowStatusTool } from './status-tools.js'
import { ULTRACODE_INSTRUCTION, UltracodeSessions } from './ultracode.js'

export const OcdwPlugin: Plugin = async (input: PluginInput, options?: PluginOptions): Promise<Hooks> => {
  const mode = (options?.mode ?? process.env.OCDW_MODE ?? 'default') as PluginRuntime['mode']
  const client = pluginClient(input)
  const rt: PluginRuntime = { client, mode, live: new Map(), origin: new Map() }
  const ultracode = new UltracodeSessions()

  return {
    tool: {
      workflow: workflowTool(rt),
      workflow_status: workflowStatusTool(),
      workflow_control: workflowControlTool(rt),
    },
    async config(cfg) {
      const commands = (cfg.command ??= {}) as Record<string, { template: string; description?: string }>
      for (const def of allCommands(input.directory)) {
        // The user's own command of the same name wins.
        commands[def.name] ??= { template: def.template, description: def.description }
      }
    },
    async 'chat.message'(msg, output) {
      const text = output.parts.map((p: any) => (p.type === 'text' ? p.text : '')).join(' ')
      ultracode.observe(msg.sessionID, text)
    },
    async 'experimental.chat.system.transform'(inp, output) {
      if (ultracode.isOn(inp.sessionID)) output.system.push(ULTRACODE_INSTRUCTION)
    },
    async dispose() {
      // Stop what this plugin started; each run's journal keeps it resumable (`ocdw resume` or resumeFromRunId).
      const runs = [...rt.live.values()]
      for (const run of runs) {
        try {
          run.send({ type: 'STOP' })
        } catch {
          /* already ending */
        }
      }
      await Promise.allSettled(runs.map((r) => r.done))
    },
  }
}

/**
 * A v2 client for the server the plugin runs in. The v1 client OpenCode hands over talks plain HTTP to
 * `serverUrl` without credentials, so when the server is password protected (OPENCODE_SERVER_PASSWORD, read from
 * the server's own environment) the plugin adds the same HTTP Basic header the server expects.
 */
export function pluginClient(input: Pick<PluginInput, 'serverUrl' | 'directory'>): OpencodeClient {
  const headers: Record<string, string> = {}
  const password = process.env.OPENCODE_SERVER_PASSWORD
  if (password) {
    const user = process.env.OPENCODE_SERVER_USERNAME || 'opencode'
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
  }
  return createOpencodeClient({ baseUrl: input.serverUrl.toString().replace(/\/$/, ''), directory: input.directory, headers })
}

/**
 * Built-in commands plus one per saved workflow (project wins over personal: listAllWorkflows lists it first).
 * `scope` limits the saved ones: the project's command files carry the project's workflows, the global ones the
 * personal workflows; the plugin's config hook (scope 'all') offers both.
 */
export function allCommands(projectDir: string, scope: 'all' | 'project' | 'personal' = 'all'): CommandDef[] {
  const defs = builtinCommands()
  const taken = new Set(defs.map((d) => d.name))
  for (const w of listAllWorkflows(projectDir)) {
    if (w.scope === 'bundled' || taken.has(w.name)) continue
    if (scope !== 'all' && w.scope !== scope) continue
    taken.add(w.name)
    let description: string | undefined
    try {
      description = parseScript(readFileSync(w.path, 'utf8')).meta.description
    } catch {
      description = undefined
    }
    defs.push(savedWorkflowCommand(w.name, description))
  }
  return defs
}

export default { id: 'ocdw', server: OcdwPlugin }
