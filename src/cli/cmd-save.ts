// `ocdw save <runId> --name <name> [--personal] [--force]`: the run's script becomes a saved workflow (and `/<name>`
// inside OpenCode).
import type { Command } from 'commander'
import { findRun } from '../store/runs.js'
import { saveRunAsWorkflow } from '../usecases/save-run.js'

export function registerSave(program: Command): void {
  program
    .command('save')
    .description("save a run's script as a workflow you can run by name (and as /<name> in OpenCode)")
    .argument('<runId>')
    .requiredOption('--name <name>', 'the workflow name')
    .option('--personal', 'save to your personal workflows instead of this project')
    .option('--force', 'overwrite a workflow of the same name')
    .action((runId: string, flags: { name: string; personal?: boolean; force?: boolean }) => {
      const projectDir = process.cwd()
      const { dir } = findRun(projectDir, runId)
      const saved = saveRunAsWorkflow({ projectDir, runDir: dir, name: flags.name, personal: flags.personal, force: flags.force })
      process.stdout.write(`${saved.message} (command ${saved.commandPath}).\n`)
    })
}
