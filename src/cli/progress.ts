// Live progress on stderr: one line per phase (running/done/failed, tokens, elapsed, a bar) redrawn in place on a
// TTY; plain lines on change (at most every 2 s) otherwise, so CI logs stay readable. log() lines always print.
import type { Observable } from 'rxjs'
import type { RunView } from '../machines/run-view.js'
import { totalTokens } from '../machines/run-view.js'
import type { RuntimeEvent } from '../machines/types.js'
import { bar, fmtElapsed, fmtTokens } from '../machines/format.js'

export function phaseLine(view: RunView, title: string, now: number): string {
  const p = view.phases.find((x) => x.title === title)
  if (!p) return ''
  const c = p.counts
  const total = c.queued + c.running + c.done + c.failed + c.stopped + c.skipped
  const finished = c.done + c.failed + c.stopped + c.skipped
  const elapsed = p.firstAt ? fmtElapsed((c.running + c.queued > 0 ? now : (p.lastAt ?? now)) - p.firstAt) : '-'
  const parts = [`${c.done}/${total} done`]
  if (c.running) parts.push(`${c.running} running`)
  if (c.queued) parts.push(`${c.queued} queued`)
  if (c.failed) parts.push(`${c.failed} failed`)
  if (c.stopped) parts.push(`${c.stopped} stopped`)
  return `${p.title.padEnd(18).slice(0, 18)} ${bar(finished, total, 16)} ${parts.join(', ')} · ${fmtTokens(totalTokens(p.tokens))} tok · ${elapsed}`
}

function agentName(view: RunView, key: string): string {
  const label = view.agents.find((a) => a.key === key)?.label
  return label && label !== key ? `"${label}" (${key})` : key
}

/** The progress header: how many agents may run at once now, and whether that adapts or was pinned. */
export function concurrencyLine(c: NonNullable<RunView['concurrency']>): string {
  return c.mode === 'adaptive'
    ? `concurrency ${c.limit} (adaptive: follows the models' rate limits; pin it with --concurrency N)`
    : `concurrency ${c.limit} (pinned by --concurrency)`
}

/** The line that tells the user an agent waits for a permission, and how to answer it. */
export function permissionLine(view: RunView, ev: Extract<RuntimeEvent, { type: 'agent.permission' }>): string {
  const what = ev.patterns.length ? `${ev.permission} (${ev.patterns.join(', ')})` : ev.permission
  return (
    `! agent ${agentName(view, ev.key)} waits for permission to use ${what}; answer with ` +
    `\`ocdw permit ${view.runId} --agent ${ev.key} --reply once|always|reject\` or in \`ocdw ui\``
  )
}

/** The line that tells the user an agent has gone quiet, and what they can do about it. */
export function stalledLine(view: RunView, ev: Extract<RuntimeEvent, { type: 'agent.stalled' }>): string {
  return (
    `! agent ${agentName(view, ev.key)} has sent no event for ${ev.sinceMs < 10_000 ? `${(ev.sinceMs / 1000).toFixed(1)}s` : fmtElapsed(ev.sinceMs)} (stalled); ` +
    `\`ocdw restart ${view.runId} --agent ${ev.key}\` runs it again`
  )
}

export function attachProgress(o: { events: Observable<RuntimeEvent>; view: () => RunView; stream?: NodeJS.WriteStream; quiet?: boolean }): () => void {
  const out = o.stream ?? process.stderr
  const tty = Boolean(out.isTTY) && !process.env.CI
  let drawn = 0
  let lastPlain = ''
  let lastPlainAt = 0
  const lines = () => {
    const view = o.view()
    const now = Date.now()
    const phases = view.phases.filter((p) => Object.values(p.counts).some((n) => n > 0)).map((p) => phaseLine(view, p.title, now))
    return phases.length && view.concurrency ? [concurrencyLine(view.concurrency), ...phases] : phases
  }
  const clear = () => {
    if (tty && drawn) out.write(`\x1b[${drawn}A\x1b[0J`)
    drawn = 0
  }
  const draw = () => {
    if (o.quiet) return
    if (tty) {
      clear()
      const ls = lines()
      if (ls.length) out.write(ls.join('\n') + '\n')
      drawn = ls.length
    } else {
      const text = lines().join('\n')
      if (text && text !== lastPlain && Date.now() - lastPlainAt >= 2000) {
        out.write(text + '\n')
        lastPlain = text
        lastPlainAt = Date.now()
      }
    }
  }
  const timer = setInterval(draw, tty ? 100 : 500)
  timer.unref()
  const stallShown = new Set<string>()
  const sub = o.events.subscribe({
    next: (ev) => {
      if (o.quiet) return
      if (ev.type === 'log') {
        clear()
        out.write(`${ev.level === 'warn' ? 'warning: ' : ev.level === 'error' ? 'error: ' : '· '}${ev.message}\n`)
        draw()
      } else if (ev.type === 'agent.permission') {
        clear()
        out.write(permissionLine(o.view(), ev) + '\n')
        draw()
      } else if (ev.type === 'agent.started') {
        stallShown.delete(ev.key)
      } else if (ev.type === 'agent.stalled' && !stallShown.has(ev.key)) {
        // Once per agent attempt: an agent that wakes up and goes quiet again is not news worth another line.
        stallShown.add(ev.key)
        clear()
        out.write(stalledLine(o.view(), ev) + '\n')
        draw()
      }
    },
  })
  return () => {
    clearInterval(timer)
    sub.unsubscribe()
    if (!o.quiet) {
      if (tty) clear()
      const final = lines().join('\n')
      if (final) out.write(final + '\n')
    }
  }
}
