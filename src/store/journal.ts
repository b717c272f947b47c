// The append-only journal (journal.jsonl): one JSON line per agent event that matters for resume, written
// synchronously before the script sees the result, so a crash after the line is written never loses that agent.
// Reading tolerates a truncated or corrupt line (reported, skipped): a kill -9 mid-append must not break resume.
import { closeSync, existsSync, readFileSync, writeSync } from 'node:fs'
import { isSymlink, openAppendNoFollow, SymlinkRefusedError } from './atomic.js'
import { runPaths } from './run-dir.js'
import type { Tokens } from '../machines/types.js'
import { journalEntryOf, type JournalEntry } from './journal-entries.js'

export type { JournalEntry } from './journal-entries.js'

export interface Journal {
  append(entry: JournalEntry): void
  close(): void
}

export class JournalWriteError extends Error {
  readonly exitCode = 1
}

export function openJournal(runDir: string): Journal {
  const path = runPaths(runDir).journal
  // A previous process may have died mid-line: start on a fresh line so the next entry is readable.
  let needsNewline = false
  if (isSymlink(path)) throw new SymlinkRefusedError(`Refusing to write ${path}: it is a symbolic link; remove the link and try again.`)
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8')
    needsNewline = text.length > 0 && !text.endsWith('\n')
  }
  let fd: number | undefined = openAppendNoFollow(path)
  // Fault injection for the disk-full trial (bench/crash-trials.mjs, test/e2e/faults.test.ts): after N appends every
  // append fails as a full disk would. Unset in normal use.
  const failAfter = Number(process.env.OCDW_FAULT_JOURNAL_ENOSPC_AFTER ?? NaN)
  let appended = 0
  return {
    append(entry) {
      if (fd === undefined) return
      const line = (needsNewline ? '\n' : '') + JSON.stringify(entry) + '\n'
      try {
        if (++appended > failAfter) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })
        writeSync(fd, line)
        needsNewline = false
      } catch (err) {
        throw new JournalWriteError(
          `Could not append to the run's journal ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); free disk space, then \`ocdw resume\` the run: agents already journaled will not run again.`,
        )
      }
    },
    close() {
      if (fd !== undefined) closeSync(fd)
      fd = undefined
    },
  }
}

export function readJournal(runDir: string): { entries: JournalEntry[]; problems: { line: number; message: string }[] } {
  const path = runPaths(runDir).journal
  if (!existsSync(path)) return { entries: [], problems: [] }
  const entries: JournalEntry[] = []
  const problems: { line: number; message: string }[] = []
  const lines = readFileSync(path, 'utf8').split('\n')
  lines.forEach((text, i) => {
    if (!text.trim()) return
    try {
      const e = journalEntryOf(JSON.parse(text))
      if (e !== 'unknown') entries.push(e)
    } catch (err) {
      problems.push({ line: i + 1, message: i === lines.length - 1 ? 'truncated last line' : `unreadable line (${(err as Error).message})` })
    }
  })
  return { entries, problems }
}

export interface CompletedAgent {
  result: unknown
  tokens: Tokens
  cost: number
  phase: string
  label?: string
}

/** Agents whose last journaled outcome is `done`: resume answers these without a model call. A later failure or
 *  stop of the same key (a restart that went wrong) wins over an earlier success. */
export function completedFromJournal(entries: JournalEntry[]): Map<string, CompletedAgent> {
  const out = new Map<string, CompletedAgent>()
  for (const e of entries) {
    if (e.t === 'agent.done') out.set(e.key, { result: e.result, tokens: e.tokens, cost: e.cost, phase: e.phase, label: e.label })
    else if (e.t === 'agent.failed' || e.t === 'agent.stopped' || e.t === 'agent.started') out.delete(e.key)
  }
  return out
}
