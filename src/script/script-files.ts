// How a script's body becomes code in the isolate, and how an error's position is mapped back to the script: the
// body (and each inline workflow()'s body) is wrapped in an async function on the same first line, so line numbers
// stay the script's own and only the first line's columns shift by the prefix.
import { PRELUDE_FILENAME } from './prelude.js'

/** The file name the main script's frames carry in stacks. */
export const MAIN_FILE = 'script.js'
const MAIN_PREFIX = '(async () => { '
const SUB_PREFIX = '(async (args, workflow) => { '

/** The main script as an expression: an async function the prelude calls with nothing. */
export function wrapMain(body: string): string {
  return `${MAIN_PREFIX}${body}\n})`
}

/** A sub-workflow as an expression: an async function of (args, workflow), run inline by workflow(). */
export function wrapSub(body: string): string {
  return `${SUB_PREFIX}${body}\n})`
}

/** The file name a sub-workflow's frames carry (safe characters only). */
export const subFile = (name: string) => `workflow-${name.replace(/[^\w.-]/g, '_')}.js`

/** "TypeError: x is undefined (at line 3, column 7)" from a QuickJS error's stack; prelude frames are skipped.
 *  `subNames` maps sub-workflow file names to workflow names. */
export function describeScriptError(name: string, message: string, stack: string, subNames: Map<string, string> = new Map()): string {
  const head = name && !message.startsWith(name) ? `${name}: ${message}` : message
  for (const line of stack.split('\n')) {
    const m = /\(?([^\s()]+):(\d+):(\d+)\)?\s*$/.exec(line.trim())
    if (!m || m[1] === PRELUDE_FILENAME) continue
    const row = Number(m[2])
    let col = Number(m[3])
    const sub = subNames.get(m[1])
    const prefix = sub ? SUB_PREFIX : MAIN_PREFIX
    if (row === 1 && col > prefix.length) col -= prefix.length
    return `The script failed at line ${row}, column ${col}${sub ? ` of workflow "${sub}"` : ''}: ${head}`
  }
  return `The script failed: ${head}`
}
