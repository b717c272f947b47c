// ensureRunsIgnored: the .gitignore that keeps runs out of `git status`, checked with real git (check-ignore), for a
// fresh project and for one that already has its own .opencode/workflows/.gitignore (kept, ours appended once).
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ensureRunsIgnored } from '../../src/store/paths.js'

describe('ensureRunsIgnored', () => {
  const dirs: string[] = []
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))
  const project = () => {
    const d = mkdtempSync(join(tmpdir(), 'ocdw-ignore-'))
    dirs.push(d)
    execFileSync('git', ['init', '-q'], { cwd: d })
    return d
  }
  const ignored = (d: string, path: string) => {
    try {
      execFileSync('git', ['check-ignore', '-q', path], { cwd: d })
      return true
    } catch {
      return false
    }
  }

  it('ignores runs, schedule logs and itself, not saved workflows', () => {
    const d = project()
    ensureRunsIgnored(d)
    expect(ignored(d, '.opencode/workflows/runs/wf_20260101_abcdef/run.json')).toBe(true)
    expect(ignored(d, '.opencode/workflows/schedule-logs/sched_abc.log')).toBe(true)
    expect(ignored(d, '.opencode/workflows/.gitignore')).toBe(true)
    expect(ignored(d, '.opencode/workflows/audit.js')).toBe(false)
  })

  it('keeps an existing .gitignore and appends only what is missing, once', () => {
    const d = project()
    mkdirSync(join(d, '.opencode/workflows'), { recursive: true })
    writeFileSync(join(d, '.opencode/workflows/.gitignore'), '# mine\n*.tmp\n/runs/')
    ensureRunsIgnored(d)
    ensureRunsIgnored(d)
    expect(readFileSync(join(d, '.opencode/workflows/.gitignore'), 'utf8')).toBe('# mine\n*.tmp\n/runs/\n/schedule-logs/\n/.gitignore\n/.starting-*\n')
  })
})
