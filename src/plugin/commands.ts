// The slash commands ocdw adds to OpenCode. One definition serves both the plugin's `config` hook (commands appear
// as soon as the plugin loads) and `ocdw setup` (command files, for setups that load the plugin some other way).
import { SCRIPT_API_REFERENCE } from '../script/planner.js'
import { workflowCommandTemplate } from '../store/saved-workflows.js'

export interface CommandDef {
  name: string
  description: string
  template: string
}

export const ULTRACODE_KEYWORD = 'ultracode'

export function builtinCommands(): CommandDef[] {
  return [
    {
      name: 'workflow',
      description: 'Plan and run an ocdw workflow (many agents, resumable) for a task',
      template: `Run an ocdw workflow for this task: $ARGUMENTS

Write a workflow script for it and call the \`workflow\` tool with \`script\` set to the script (the user approves it
before it runs). Keep the workflow proportionate: a small task needs few agents.

${SCRIPT_API_REFERENCE}`,
    },
    {
      name: 'workflows',
      description: 'Show ocdw workflow runs of this project and the saved workflows',
      template: `Call the \`workflow_status\` tool with no arguments and show the user the runs it lists (status, agents,
tokens) and the saved workflows. Tell them they can watch and steer runs live with \`ocdw ui\` in a terminal.`,
    },
    {
      name: 'deep-research',
      description: 'Research a question with many agents and cross-checked sources (ocdw workflow)',
      template: `Call the \`workflow\` tool with \`name\` set to "deep-research" and \`args\` set to the following question,
exactly as written: $ARGUMENTS
When it finishes, show the user the report it returns.`,
    },
    {
      name: ULTRACODE_KEYWORD,
      description: 'Turn on ultracode: substantive tasks become ocdw workflows (`/ultracode off` to stop)',
      template: `${ULTRACODE_KEYWORD} $ARGUMENTS`,
    },
  ]
}

/** The command that runs a saved workflow: `/<name> <args>`. */
export function savedWorkflowCommand(name: string, description?: string): CommandDef {
  return { name, description: description ?? `Run the saved ocdw workflow "${name}"`, template: workflowCommandTemplate(name) }
}

/** An OpenCode command file (`.opencode/command/<name>.md`). */
export function commandFile(def: CommandDef): string {
  return `---\ndescription: ${JSON.stringify(def.description)}\n---\n${def.template}\n`
}
