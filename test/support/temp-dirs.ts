// Temporary directories for a test file: made under the OS temp dir, removed after each test.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'

/** Registers the cleanup (afterEach) and returns the maker: each call makes a fresh directory named `prefix…`. */
export function tempDirs(defaultPrefix: string): (prefix?: string) => string {
  const dirs: string[] = []
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })
  return (prefix = defaultPrefix) => {
    const d = mkdtempSync(join(tmpdir(), prefix))
    dirs.push(d)
    return d
  }
}
