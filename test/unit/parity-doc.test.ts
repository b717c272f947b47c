// docs/PARITY.md is enforced: every behaviour it lists has an ID and a status (same / adapted with its reason /
// beyond), every ID has at least one test whose name starts with it, and no test names an ID the page does not list.
// Test names are read from the test files (a test title that starts with IDs) and from the conformance scripts'
// `// parity:` lines (their tests are named after them in test/unit/conformance.test.ts and test/e2e/conformance.test.ts).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { conformanceScripts } from '../support/conformance.js'

const ROOT = join(__dirname, '../..')
const ID = /^P-[A-Z]+-\d+$/

interface Row {
  id: string
  behaviour: string
  status: string
  how: string
}

export function parityRows(markdown: string): Row[] {
  const rows: Row[] = []
  for (const line of markdown.split('\n')) {
    const m = /^\|\s*(P-[A-Z]+-\d+)\s*\|(.*)\|\s*$/.exec(line)
    if (!m) continue
    // Cells split on unescaped pipes (the behaviour text may hold `a \| b`).
    const cells = m[2]!.split(/(?<!\\)\|/).map((c) => c.trim())
    rows.push({ id: m[1]!, behaviour: cells[0] ?? '', status: cells[1] ?? '', how: cells[2] ?? '' })
  }
  return rows
}

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    if (statSync(p).isDirectory()) return f === 'fixtures' || f === 'node_modules' ? [] : testFiles(p)
    return f.endsWith('.test.ts') ? [p] : []
  })
}

/** ID -> where a test named with it lives. */
export function testedIds(): Map<string, string[]> {
  const found = new Map<string, string[]>()
  const add = (id: string, where: string) => found.set(id, [...(found.get(id) ?? []), where])
  for (const file of testFiles(join(ROOT, 'test'))) {
    const source = readFileSync(file, 'utf8')
    for (const m of source.matchAll(/\b(?:it|test)(?:\.\w+)?\(\s*['"`]((?:P-[A-Z]+-\d+\s+)+)/g)) {
      for (const id of m[1]!.trim().split(/\s+/)) add(id, relative(ROOT, file))
    }
  }
  for (const s of conformanceScripts()) for (const id of s.ids) add(id, `test/conformance/${s.file}`)
  return found
}

describe('docs/PARITY.md', () => {
  const rows = parityRows(readFileSync(join(ROOT, 'docs/PARITY.md'), 'utf8'))

  it('lists the documented behaviours, each with a unique ID and a status (adapted ones with their reason)', () => {
    expect(rows.length).toBeGreaterThanOrEqual(50)
    const seen = new Set<string>()
    for (const r of rows) {
      expect(r.id, r.id).toMatch(ID)
      expect(seen.has(r.id), `${r.id} is listed twice`).toBe(false)
      seen.add(r.id)
      expect(['same', 'adapted', 'beyond'], `${r.id} has status "${r.status}"`).toContain(r.status)
      expect(r.behaviour.length, `${r.id} has no behaviour`).toBeGreaterThan(10)
      if (r.status === 'adapted') expect(r.how.length, `${r.id} is adapted without a reason`).toBeGreaterThan(10)
    }
    // The areas the issue names: script format, each global and option, limits, budget, resume, saved, approval, keys.
    for (const area of ['SCRIPT', 'AGENT', 'MODEL', 'PAR', 'PIPE', 'PHASE', 'LOG', 'WF', 'BUDGET', 'LIMIT', 'RESUME', 'SAVED', 'APPROVAL', 'KEYS']) {
      expect(rows.some((r) => r.id.startsWith(`P-${area}-`)), area).toBe(true)
    }
  })

  it('every ID has at least one test whose name starts with it', () => {
    const tested = testedIds()
    const untested = rows.map((r) => r.id).filter((id) => !tested.has(id))
    expect(untested, `IDs without a test: ${untested.join(', ')}`).toEqual([])
  })

  it('no test names an ID that the page does not list', () => {
    const listed = new Set(rows.map((r) => r.id))
    const unknown = [...testedIds()].filter(([id]) => !listed.has(id)).map(([id, where]) => `${id} (${where.join(', ')})`)
    expect(unknown, `unknown IDs: ${unknown.join(', ')}`).toEqual([])
  })

  it('a missing test is caught: the check fails for an ID no test names', () => {
    const tested = testedIds()
    const fake = parityRows('| P-NOTEST-99 | a behaviour nobody tests | same | |')
    expect(fake.map((r) => r.id).filter((id) => !tested.has(id))).toEqual(['P-NOTEST-99'])
  })
})
