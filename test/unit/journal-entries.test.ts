// Journal lines are untrusted on read (a repository may ship a run dir): the one schema (src/store/journal-entries.ts)
// keeps a malformed line of a known kind out of resume, skips a newer ocdw's kinds quietly, and reads older lines.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { completedFromJournal, readJournal } from '../../src/store/journal.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
function journalOf(lines: unknown[]): string {
  const d = mkdtempSync(join(tmpdir(), 'ocdw-journal-'))
  dirs.push(d)
  writeFileSync(join(d, 'journal.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n')
  return d
}
const tokens = { input: 1, output: 2, reasoning: 0, cacheRead: 0, cacheWrite: 0 }

describe('journal entries (15.6)', () => {
  it('reports and skips a known kind with the wrong shape, so resume never reads tokens that are not there', () => {
    const d = journalOf([
      { t: 'agent.done', key: 'good', phase: 'A', label: 'good', result: 'ok', tokens, cost: 0, at: 1 },
      { t: 'agent.done', key: 'planted', phase: 'A', label: 'x', result: 'evil', tokens: 'lots', cost: 0, at: 2 },
    ])
    const { entries, problems } = readJournal(d)
    expect(entries.map((e) => ('key' in e ? e.key : e.t))).toEqual(['good'])
    expect(problems).toEqual([{ line: 2, message: expect.stringMatching(/unreadable line \(agent\.done entry: tokens: /) }])
    expect([...completedFromJournal(entries).keys()]).toEqual(['good'])
  })

  it('skips a kind this version does not know without calling it a problem, and reads lines older runs wrote', () => {
    const d = journalOf([
      { t: 'agent.someday', key: 'k', at: 1 },
      { t: 'run', status: 'running', at: 1 },
      { t: 'agent.failed', key: 'f', error: 'boom', at: 2 },
      { t: 'log', message: 'hello', at: 3 },
    ])
    const { entries, problems } = readJournal(d)
    expect(problems).toEqual([])
    expect(entries.map((e) => e.t)).toEqual(['run', 'agent.failed', 'log'])
  })
})
