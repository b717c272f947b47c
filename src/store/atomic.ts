// Atomic file writes: write a temp file next to the target, fsync, rename. A reader never sees half a file, and a
// crash mid-write leaves the old file intact. Refuses to write through a symlink (a run dir or a saved workflow must
// never be redirected somewhere else on disk).
import { closeSync, fsyncSync, lstatSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import { rename, unlink, writeFile } from 'node:fs/promises'
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

/**
 * `durable: false` skips the fsync: for files that can be rebuilt (agents/<key>.json, view.json) the rename alone
 * keeps readers from seeing half a file, and an fsync per agent would dominate the runtime's cost.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, o: { durable?: boolean } = {}): void {
  if (isSymlink(path)) {
    throw new SymlinkRefusedError(`Refusing to write ${path}: it is a symbolic link; remove the link and try again.`)
  }
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`)
  const fd = openSync(tmp, 'w', 0o644)
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data)
    if (o.durable !== false) fsyncSync(fd)
  } catch (err) {
    closeSync(fd)
    try { unlinkSync(tmp) } catch { /* already gone */ }
    throw err
  }
  closeSync(fd)
  renameSync(tmp, path)
}

/**
 * The same without blocking the event loop (file creation is the slow part on some file systems): for files written
 * once per agent, so a thousand agents do not queue behind a thousand opens. Not fsynced (see `durable`).
 */
export async function writeFileAtomicAsync(path: string, data: string | Uint8Array): Promise<void> {
  if (isSymlink(path)) {
    throw new SymlinkRefusedError(`Refusing to write ${path}: it is a symbolic link; remove the link and try again.`)
  }
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`)
  try {
    await writeFile(tmp, data)
    await rename(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => undefined)
    throw err
  }
}
