// Live progress on stderr: one line per phase (running/done/failed, tokens, elapsed, a bar) redrawn in place on a
// TTY; off a terminal one appended line per event, so CI logs stay readable. Agent-written text (labels, errors,
// log messages) is sanitised before it reaches the terminal.
import type { Observable } from 'rxjs'
import type { RunView } from '../machines/run-view.js'
import { totalTokens } from '../machines/tokens.js'
import type { RuntimeEvent } from '../machines/types.js'
import { bar, fmtElapsed, fmtTokens } from '../machines/format.js'
import { sanitizeLine } from '../machines/sanitize.js'

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
  return `${sanitizeLine(p.title).padEnd(18).slice(0, 18)} ${bar(finished, total, 16)} ${parts.join(', ')} · ${fmtTokens(totalTokens(p.tokens))} tok · ${elapsed}`
}

function agentName(view: RunView, key: string): string {
  const label = view.agents.find((a) => a.key === key)?.label
  return label && label !== key ? `"${sanitizeLine(label)}" (${sanitizeLine(key)})` : sanitizeLine(key)
}

/** The progress header: how many agents may run at once now, and whether that adapts or was pinned. */
export function concurrencyLine(c: NonNullable<RunView['concurrency']>): string {
  return c.mode === 'adaptive'
    ? `concurrency ${c.limit} (adaptive: follows the models' rate limits; pin it with --concurrency N)`
    : `concurrency ${c.limit} (pinned by --concurrency)`
}

/** The line that tells the user an agent waits for a permission, and how to answer it. */
export function permissionLine(view: RunView, ev: Extract<RuntimeEvent, { type: 'agent.permission' }>): string {
  const what = sanitizeLine(ev.patterns.length ? `${ev.permission} (${ev.patterns.join(', ')})` : ev.permission)
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

/** The line a log-like (non-TTY) progress prints for one event, or undefined when the event is not news. */
export function eventLine(view: RunView, ev: RuntimeEvent): string | undefined {
  const name = () => sanitizeLine(agentName(view, 'key' in ev ? ev.key : ''))
  switch (ev.type) {
    case 'phase.started':
      return `phase ${sanitizeLine(ev.title)}`
    case 'agent.started':
      return `  started  ${name()}${ev.attempt > 1 ? ` (attempt ${ev.attempt})` : ''}`
    case 'agent.retry':
      return `  retry    ${name()} (attempt ${ev.attempt}): ${sanitizeLine(ev.error)}`
    case 'agent.finished': {
      const tok = fmtTokens(totalTokens(ev.tokens))
      return `  ${ev.status.padEnd(8)} ${name()} · ${tok} tok${ev.cached ? ' (journal)' : ''}${ev.error ? `: ${sanitizeLine(ev.error)}` : ''}`
    }
    default:
      return undefined
  }
}

function logLine(ev: Extract<RuntimeEvent, { type: 'log' }>): string {
  return `${ev.level === 'warn' ? 'warning: ' : ev.level === 'error' ? 'error: ' : '· '}${sanitizeLine(ev.message)}`
}

/**
 * Progress on `stream` (stderr). On a TTY the phase block is redrawn in place. Off a terminal (CI logs, pipes,
 * files) each event appends one line (phase started, agent started/retried/finished, log, permission, stall) and
 * the phase block prints once at the end, so a log reads top to bottom. `quiet` prints nothing.
 */
export function attachProgress(o: { events: Observable<RuntimeEvent>; view: () => RunView; stream?: NodeJS.WriteStream; quiet?: boolean }): () => void {
  const out = o.stream ?? process.stderr
  const tty = Boolean(out.isTTY) && !process.env.CI
  let drawn = 0
  const lines = () => {
    const view = o.view()
    const now = Date.now()
    const phases = view.phases.filter((p) => Object.values(p.counts).some((n) => n > 0)).map((p) => sanitizeLine(phaseLine(view, p.title, now)))
    return phases.length && view.concurrency ? [concurrencyLine(view.concurrency), ...phases] : phases
  }
  const clear = () => {
    if (tty && drawn) out.write(`\x1b[${drawn}A\x1b[0J`)
    drawn = 0
  }
  const draw = () => {
    if (o.quiet || !tty) return
    clear()
    const ls = lines()
    if (ls.length) out.write(ls.join('\n') + '\n')
    drawn = ls.length
  }
  const timer = tty && !o.quiet ? setInterval(draw, 100) : undefined
  timer?.unref()
  /** A line above the live block (TTY) or appended to the log (otherwise). */
  const say = (line: string) => {
    clear()
    out.write(line + '\n')
    draw()
  }
  const stallShown = new Set<string>()
  const sub = o.events.subscribe({
    next: (ev) => {
      if (o.quiet) return
      if (ev.type === 'log') say(logLine(ev))
      else if (ev.type === 'agent.permission') say(sanitizeLine(permissionLine(o.view(), ev)))
      else if (ev.type === 'agent.stalled') {
        // Once per agent attempt: an agent that wakes up and goes quiet again is not news worth another line.
        if (stallShown.has(ev.key)) return
        stallShown.add(ev.key)
        say(sanitizeLine(stalledLine(o.view(), ev)))
      } else {
        if (ev.type === 'agent.started') stallShown.delete(ev.key)
        if (!tty) {
          const line = eventLine(o.view(), ev)
          if (line) out.write(line + '\n')
        }
      }
    },
  })
  return () => {
    if (timer) clearInterval(timer)
    sub.unsubscribe()
    if (!o.quiet) {
      if (tty) clear()
      const final = lines().join('\n')
      if (final) out.write(final + '\n')
    }
  }
}
