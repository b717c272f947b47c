// Atomic file writes: write a temp file next to the target, fsync, rename. A reader never sees half a file, and a
// crash mid-write leaves the old file intact. Refuses to write through a symlink (a run dir or a saved workflow must
// never be redirected somewhere else on disk).
import { closeSync, constants, fsyncSync, lstatSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import { rename, unlink, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { runPaths } from './run-dir.js'

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

function refuseSymlink(path: string): void {
  for (const p of [path, dirname(path)]) {
    if (isSymlink(p)) throw new SymlinkRefusedError(`Refusing to write ${path}: ${p} is a symbolic link; remove the link and try again.`)
  }
}

/** A run dir (or the agents/ folder of an older run) that is a symlink would send writes somewhere else on disk: refuse it. */
export function refuseSymlinkedDir(dir: string): void {
  for (const p of [dir, runPaths(dir).legacyAgentsDir]) {
    if (isSymlink(p)) throw new SymlinkRefusedError(`Refusing to use ${p}: it is a symbolic link; remove the link and try again.`)
  }
}

/** Opens a file for appending without following a symlink at its name (O_NOFOLLOW), creating it 0644 if absent.
 *  `readable` opens it for reading too (to check its tail before appending). */
export function openAppendNoFollow(path: string, o: { readable?: boolean } = {}): number {
  refuseSymlink(path)
  try {
    const mode = o.readable ? constants.O_RDWR : constants.O_WRONLY
    return openSync(path, mode | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new SymlinkRefusedError(`Refusing to write ${path}: it is a symbolic link; remove the link and try again.`)
    }
    throw err
  }
}

/**
 * `durable: false` skips the fsync: for files that can be rebuilt (view.json, control.json) the rename alone
 * keeps readers from seeing half a file, and an fsync per agent would dominate the runtime's cost.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, o: { durable?: boolean } = {}): void {
  refuseSymlink(path)
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`)
  // 'wx' (O_CREAT|O_EXCL): a link planted at the temp name fails the open instead of being written through.
  const fd = openSync(tmp, 'wx', 0o644)
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
  refuseSymlink(path)
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`)
  try {
    await writeFile(tmp, data, { flag: 'wx', mode: 0o644 })
    await rename(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => undefined)
    throw err
  }
}
