// `isolation: 'worktree'`: the agent works in its own git worktree (a detached checkout of HEAD in a temp dir), so
// parallel agents editing the same files do not trample each other. Afterwards the worktree is removed; if the agent
// changed anything, the changes are committed on a branch `ocdw/<key>` first, so nothing is lost and the user can
// merge what they want.
import { execFile } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { makeOwnedTempDir, reclaimDeadTempDirs } from '../store/temp-dirs.js'

const run = promisify(execFile)

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd, maxBuffer: 16 * 1024 * 1024 })
  return stdout.trim()
}

export class WorktreeError extends Error {}

const WORKTREE_PREFIX = 'ocdw-wt-'

export interface Worktree {
  path: string
  /** Commits any change on `ocdw/<key>` and removes the worktree; returns the branch when there was a change. */
  finish(message: string): Promise<string | undefined>
}

export async function createWorktree(projectDir: string, key: string): Promise<Worktree> {
  let root: string
  try {
    root = await git(projectDir, 'rev-parse', '--show-toplevel')
    await git(projectDir, 'rev-parse', '--verify', 'HEAD')
  } catch {
    throw new WorktreeError(
      `isolation: 'worktree' needs a git repository with at least one commit in ${projectDir}; run \`git init && git commit\` there, or drop the option.`,
    )
  }
  // Worktrees of a process that died mid-agent (kill -9) go first; git forgets them with `worktree prune`. Their agents
  // had not finished, so a resume runs them again.
  if (reclaimDeadTempDirs(WORKTREE_PREFIX) > 0) await git(root, 'worktree', 'prune').catch(() => undefined)
  const path = join(makeOwnedTempDir(WORKTREE_PREFIX), 'tree')
  await git(root, 'worktree', 'add', '--detach', path, 'HEAD')
  return {
    path,
    async finish(message) {
      let branch: string | undefined
      try {
        if ((await git(path, 'status', '--porcelain')).length > 0) {
          branch = `ocdw/${key}`
          await git(path, 'checkout', '-B', branch)
          await git(path, 'add', '-A')
          await git(path, '-c', 'user.name=ocdw', '-c', 'user.email=ocdw@localhost', 'commit', '-q', '--no-verify', '-m', message)
        }
      } finally {
        await git(root, 'worktree', 'remove', '--force', path).catch(() => undefined)
        await rm(join(path, '..'), { recursive: true, force: true }).catch(() => undefined)
      }
      return branch
    },
  }
}
