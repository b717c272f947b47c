// The ocdw OpenCode plugin: `"plugin": ["ocdw"]` (or the path `ocdw setup` writes) in opencode.json loads it.
// Tools: workflow, workflow_status, workflow_control. Commands: /workflow, /workflows, /deep-research, /ultracode and
// one per saved workflow. Ultracode mode through the chat hooks.
import type { Hooks, Plugin, PluginInput, PluginOptions } from '@opencode-ai/plugin'
import { pluginClient } from './client.js'
import { listAllWorkflows, workflowDescription } from '../actors/workflow-lookup.js'
import { builtinCommands, savedWorkflowCommand, type CommandDef } from './commands.js'
import { workflowTool, type PluginRuntime } from './run-tool.js'
import type { PluginMode } from './approval.js'
import { workflowControlTool, workflowStatusTool } from './status-tools.js'
import { ULTRACODE_INSTRUCTION, UltracodeSessions } from './ultracode.js'

export const OcdwPlugin: Plugin = async (input: PluginInput, options?: PluginOptions): Promise<Hooks> => {
  const client = pluginClient(input)
  const rt: PluginRuntime = { client, mode: pluginMode(options), backgroundByDefault: !isOneShotRun(), live: new Map(), origin: new Map() }
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
      const text = output.parts.map((p) => (p.type === 'text' ? p.text : '')).join(' ')
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
 * The approval mode, from the plugin's options in opencode.json only (`"plugin": [["ocdw", { "mode": "bypass" }]]`).
 * An environment variable must not be able to switch approval off unseen; a bad value is an error at load.
 */
export function pluginMode(options?: PluginOptions): PluginMode {
  const mode = options?.mode ?? 'default'
  if (mode === 'default' || mode === 'auto' || mode === 'bypass') return mode
  throw new Error(`The ocdw plugin option "mode" is ${JSON.stringify(mode)}; use "default", "auto" or "bypass" in opencode.json.`)
}

/**
 * True inside a one-shot `opencode run` (not attached to a server): the process exits when the turn ends, which
 * would stop a background run, so the workflow tool waits for the result there by default.
 */
export function isOneShotRun(argv: string[] = process.argv): boolean {
  const i = argv.findIndex((x, n) => n > 0 && !x.startsWith('-') && !x.includes('/') && !x.includes('\\'))
  return i > 0 && argv[i] === 'run' && !argv.some((x) => x === '--attach' || x.startsWith('--attach='))
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
    defs.push(savedWorkflowCommand(w.name, workflowDescription(w)))
  }
  return defs
}

export default { id: 'ocdw', server: OcdwPlugin }
