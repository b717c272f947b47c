// `ocdw setup [--global] [--remove]`: the OpenCode plugin and commands in opencode.json(c).
import type { Command } from 'commander'
import { removeSetup, setup } from '../plugin/setup.js'

export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description("add the ocdw plugin and the /workflow commands to OpenCode's config (project, or --global)")
    .option('--global', 'your personal OpenCode config instead of this project')
    .option('--remove', 'take out what setup added (the plugin entry, its permission entry, its unedited command files)')
    .action((flags: { global?: boolean; remove?: boolean }) => {
      if (flags.remove) {
        const r = removeSetup(process.cwd(), flags)
        const what =
          r.config === 'deleted'
            ? 'is removed (setup had created it)'
            : r.config === 'entries-removed'
              ? 'had the ocdw plugin and permission entries removed (everything else is kept)'
              : 'had no ocdw entries'
        const kept = r.keptCommands.length ? ` Kept ${r.keptCommands.join(', ')}: edited since setup wrote them.` : ''
        process.stdout.write(`${r.configPath} ${what}; ${r.removedCommands.length} of ocdw's command files removed.${kept}\n`)
        return
      }
      const r = setup(process.cwd(), flags)
      if (r.warning) process.stderr.write(`ocdw: warning: ${r.warning}\n`)
      process.stdout.write(
        `${r.changed ? 'Added the ocdw plugin to' : 'The ocdw plugin is already in'} ${r.configPath}; commands: ${r.commandFiles.map((f) => '/' + f.split('/').pop()!.replace(/\.md$/, '')).join(', ')}.\nRestart OpenCode to load it.\n`,
      )
    })
}
