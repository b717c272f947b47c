// `ocdw setup [--global] [--remove]`: the OpenCode plugin and commands in opencode.json.
import type { Command } from 'commander'
import { removeSetup, setup } from '../plugin/setup.js'

export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description("add the ocdw plugin and the /workflow commands to OpenCode's config (project, or --global)")
    .option('--global', 'your personal OpenCode config instead of this project')
    .option('--remove', 'undo a previous setup')
    .action((flags: { global?: boolean; remove?: boolean }) => {
      if (flags.remove) {
        const r = removeSetup(process.cwd(), flags)
        const what = r.restored === 'original' ? 'restored to what it was before setup' : r.restored === 'entry-removed' ? 'had the ocdw plugin entry removed (it was edited since setup, the rest is kept)' : 'had no ocdw entry'
        process.stdout.write(`${r.configPath} ${what}; ocdw's command files are removed.\n`)
        return
      }
      const r = setup(process.cwd(), flags)
      process.stdout.write(
        `${r.changed ? 'Added the ocdw plugin to' : 'The ocdw plugin is already in'} ${r.configPath}; commands: ${r.commandFiles.map((f) => '/' + f.split('/').pop()!.replace(/\.md$/, '')).join(', ')}.\nRestart OpenCode to load it.\n`,
      )
    })
}
