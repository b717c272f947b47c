// vitest globalSetup: the end-to-end tests drive a terminal with tmux and make git repositories. Without them the
// suite would fail test by test with obscure errors; say once, up front, what to install.
import { spawnSync } from 'node:child_process'

export default function checkPrerequisites(): void {
  const missing = ['tmux', 'git'].filter((tool) => spawnSync(tool, tool === 'git' ? ['--version'] : ['-V'], { stdio: 'ignore' }).error)
  if (missing.length) {
    throw new Error(
      `The tests need ${missing.join(' and ')} on PATH (tmux drives the terminal tests, git the worktree and project tests); install ${missing.join(' ')} (Debian/Ubuntu: apt-get install ${missing.join(' ')}) and run npm test again.`,
    )
  }
}
