// Atomic file writes: write a temp file next to the target, fsync, rename. A reader never sees half a file, and a
// crash mid-write leaves the old file intact. Refuses to write through a symlink (a run dir or a saved workflow must
// never be redirected somewhere else on disk).
import { closeSync, fsyncSync, lstatSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

export class SymlinkRefusedError extends Error {
  readonly exitCode = 2
}

export function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink()
  } catch {
    return false
  }
}

let counter = 0

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  if (isSymlink(path)) {
    throw new SymlinkRefusedError(`Refusing to write ${path}: it is a symbolic link; remove the link and try again.`)
  }
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`)
  const fd = openSync(tmp, 'w', 0o644)
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data)
    fsyncSync(fd)
  } catch (err) {
    closeSync(fd)
    try { unlinkSync(tmp) } catch { /* already gone */ }
    throw err
  }
  closeSync(fd)
  renameSync(tmp, path)
}
