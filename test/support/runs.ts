// Finding a run a spawned CLI started, by something its script contains (the id is only known once the run dir exists).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** The id of the (only) run of `project` whose script contains `marker`, or undefined while there is none. */
export function runIdFor(project: string, marker: string): string | undefined {
  const dir = join(project, '.opencode/workflows/runs')
  if (!existsSync(dir)) return undefined
  return readdirSync(dir).find((id) => {
    const script = join(dir, id, 'script.js')
    return existsSync(script) && readFileSync(script, 'utf8').includes(marker)
  })
}
