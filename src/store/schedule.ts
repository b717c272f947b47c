// Scheduled runs as crontab entries (pure: no I/O). Each entry is two lines in the user's crontab: a marker comment
// carrying the entry as JSON, then the cron line that runs the saved workflow non-interactively. Lines that are not
// ours are kept exactly as they were.

export const MARKER = '# ocdw-schedule '

export interface ScheduleEntry {
  id: string
  /** The workflow's name, as `ocdw run --name` takes it. */
  name: string
  projectDir: string
  cron: string
  /** The run's args, as JSON text (undefined: none). */
  args?: string
  /** Extra `ocdw run` flags (--offline, --model ..., --budget ..., --server ...). */
  flags: string[]
  log: string
  createdAt: number
}

const FIELDS: [string, number, number][] = [
  ['minute', 0, 59],
  ['hour', 0, 23],
  ['day of month', 1, 31],
  ['month', 1, 12],
  ['day of week', 0, 7],
]
const NAMES: Record<number, string[]> = {
  3: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  4: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
}
const SPECIAL = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']

/** Undefined when `cron` is a valid five-field expression (or @daily...), else what is wrong with it. */
export function cronProblem(cron: string): string | undefined {
  const text = cron.trim()
  if (SPECIAL.includes(text)) return undefined
  const fields = text.split(/\s+/)
  if (fields.length !== 5) return `it has ${fields.length} fields, and a cron expression has 5 (minute hour day-of-month month day-of-week)`
  for (let i = 0; i < 5; i++) {
    const [what, lo, hi] = FIELDS[i]
    const value = (v: string) => {
      const n = NAMES[i]?.indexOf(v.toLowerCase()) ?? -1
      return n >= 0 ? n + (i === 3 ? 1 : 0) : /^\d+$/.test(v) ? Number(v) : NaN
    }
    for (const part of fields[i].split(',')) {
      const m = /^(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:\/(\d+))?$/i.exec(part)
      if (!m) return `the ${what} field "${fields[i]}" is not a number, range, list or step`
      if (m[2] !== undefined && Number(m[2]) < 1) return `the ${what} field "${fields[i]}" has a step of 0`
      if (m[1] === '*') continue
      for (const v of m[1].split('-')) {
        const n = value(v)
        if (!(n >= lo && n <= hi)) return `the ${what} field "${fields[i]}" is outside ${lo}-${hi}`
      }
    }
  }
  return undefined
}

/** Quotes a word for sh; `%` is escaped for cron, which turns a bare % into a newline. */
export function shellWord(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`.replace(/%/g, '\\%')
}

/** The command cron runs: cd into the project, run the workflow with consent already recorded, append to a log. */
export function cronCommand(e: ScheduleEntry, o: { node: string; bin: string; env: Record<string, string> }): string {
  const env = Object.entries(o.env).map(([k, v]) => `${k}=${shellWord(v)} `).join('')
  const args = e.args !== undefined ? ` --args ${shellWord(e.args)}` : ''
  const flags = e.flags.map((f) => ` ${shellWord(f)}`).join('')
  return `cd ${shellWord(e.projectDir)} && ${env}${shellWord(o.node)} ${shellWord(o.bin)} run --name ${shellWord(e.name)}${args}${flags} >> ${shellWord(e.log)} 2>&1`
}

export function entryLines(e: ScheduleEntry, command: string): string[] {
  return [MARKER + JSON.stringify(e), `${e.cron} ${command}`]
}

/** Our entries in a crontab's text. */
export function parseEntries(crontab: string): ScheduleEntry[] {
  const out: ScheduleEntry[] = []
  for (const line of crontab.split('\n')) {
    if (!line.startsWith(MARKER)) continue
    try {
      const e = JSON.parse(line.slice(MARKER.length)) as ScheduleEntry
      if (typeof e.id === 'string' && typeof e.name === 'string') out.push(e)
    } catch {
      /* a damaged marker: not ours to interpret */
    }
  }
  return out
}

/** The crontab without the entries whose ids are given (each marker and the cron line after it). */
export function removeEntries(crontab: string, ids: string[]): string {
  const lines = crontab.split('\n')
  const kept: string[] = []
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith(MARKER)) {
      const e = parseEntries(lines[i])[0]
      if (e && ids.includes(e.id)) {
        i++ // and its cron line
        continue
      }
    }
    kept.push(lines[i])
  }
  return kept.join('\n')
}

/** The crontab with new lines appended, ending in a newline (cron ignores a last line without one). */
export function appendLines(crontab: string, lines: string[]): string {
  const base = crontab.replace(/\n*$/, '')
  return (base ? base + '\n' : '') + lines.join('\n') + '\n'
}
