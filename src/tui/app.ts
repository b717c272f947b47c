// The `ocdw ui` application: blessed screens runs -> run (phases) -> phase (agents) -> agent detail. This file is
// only the wiring: four blessed boxes, the timers, and a TuiSource. Keys and data go through the pure reducer
// (./update.ts), frames are drawn by ./draw.ts from the pure view model (./view-model.ts), and the effects the reducer
// asks for (follow a run, send a ControlCommand, save, quit) are performed here; the TUI never changes run state
// itself. Renders are coalesced to at most ~10 per second, and only visible rows are formatted, so a phase with 1,000
// agents stays smooth.
import blessed from 'blessed'
import { drawFrame, type Frame } from './draw.js'
import type { Dims } from './layout.js'
import type { TuiSource } from './source.js'
import { initialTuiState, showsLiveWork } from './state.js'
import { update, type Effect, type TuiInput } from './update.js'

export interface TuiHandle {
  /** Closes the TUI (restores the terminal); resolves when it is closed. */
  close(): Promise<void>
  /** Resolves when the TUI closed, by `q` or by close(). */
  closed: Promise<void>
}

const MIN_FRAME_MS = 100
const RUNS_POLL_MS = 2000
const TICK_MS = 1000

type Boxes = Record<'header' | 'body' | 'status' | 'help', blessed.Widgets.BoxElement>

export function startTui(opts: { source: TuiSource; screen?: blessed.Widgets.Screen }): TuiHandle {
  const { source } = opts
  const ownScreen = !opts.screen
  const screen =
    opts.screen ?? blessed.screen({ smartCSR: true, title: 'ocdw', warnings: false, autoPadding: false, fullUnicode: false })
  const boxes = createBoxes(screen)
  const dims = (): Dims => ({ cols: Number(screen.width), rows: Number(screen.height) })

  let state = initialTuiState()
  let closed = false
  let resolveClosed!: () => void
  const closedPromise = new Promise<void>((r) => (resolveClosed = r))

  const frames = createFrameScheduler(() => {
    if (closed) return
    const drawn = drawFrame(state, dims(), source.now())
    state = drawn.state
    paint(screen, boxes, drawn.frame)
  })
  const render = () => frames.now()

  /** Feeds one input to the reducer and performs what it asks; keys redraw at once, data at the next frame. */
  function dispatch(input: TuiInput): void {
    if (closed) return
    const step = update(state, input, dims())
    state = step.state
    for (const effect of step.effects) effect.kind === 'quit' ? void close() : effects.perform(effect)
    if (!step.render || closed) return
    if (input.type === 'key') frames.now()
    else frames.soon()
  }
  const effects = createEffects(source, dispatch)

  const onKey = (ch: string | undefined, key: blessed.Widgets.Events.IKeyEventArg) => dispatch({ type: 'key', key: { ch, name: key.name, full: key.full } })
  screen.on('keypress', onKey)
  screen.on('resize', render)
  const poll = setInterval(() => void effects.pollRuns(), RUNS_POLL_MS)
  // Elapsed times move while something runs; nothing is redrawn on the clock when everything is finished.
  const tick = setInterval(() => {
    if (!closed && showsLiveWork(state)) frames.soon()
  }, TICK_MS)

  async function close(): Promise<void> {
    if (closed) return closedPromise
    closed = true
    clearInterval(poll)
    clearInterval(tick)
    frames.cancel()
    effects.unwatch()
    screen.removeListener('keypress', onKey)
    screen.removeListener('resize', render)
    if (ownScreen) screen.destroy()
    else {
      for (const el of Object.values(boxes)) el.detach()
      screen.render()
    }
    resolveClosed()
    return closedPromise
  }

  render()
  void effects.pollRuns()
  return { close, closed: closedPromise }
}

function createBoxes(screen: blessed.Widgets.Screen): Boxes {
  return {
    header: blessed.box({ parent: screen, top: 0, left: 0, width: '100%', height: 1, tags: true, style: { bg: 'blue', fg: 'white' } }),
    body: blessed.box({ parent: screen, top: 1, left: 0, width: '100%', height: '100%-3', tags: true }),
    status: blessed.box({ parent: screen, bottom: 1, left: 0, width: '100%', height: 1, tags: true }),
    help: blessed.box({ parent: screen, bottom: 0, left: 0, width: '100%', height: 1, tags: true, style: { bg: 'black', fg: 'white' } }),
  }
}

function paint(screen: blessed.Widgets.Screen, boxes: Boxes, f: Frame): void {
  boxes.body.height = f.bodyHeight
  boxes.status.height = f.statusRows
  boxes.header.setContent(f.header)
  boxes.body.setContent(f.body)
  boxes.status.setContent(f.status)
  boxes.help.setContent(f.help)
  screen.render()
}

/** Coalesces redraws: `soon` draws at most once per MIN_FRAME_MS however many updates arrive; `now` draws at once. */
function createFrameScheduler(draw: () => void) {
  let pending: NodeJS.Timeout | undefined
  let lastRender = 0
  const cancel = () => {
    if (pending) clearTimeout(pending)
    pending = undefined
  }
  const now = () => {
    cancel()
    lastRender = Date.now()
    draw()
  }
  const soon = () => {
    if (pending) return
    pending = setTimeout(now, Math.max(0, lastRender + MIN_FRAME_MS - Date.now()))
  }
  return { now, soon, cancel }
}

/** Performs the reducer's I/O effects on the source; their results come back through `dispatch` as inputs. */
function createEffects(source: TuiSource, dispatch: (input: TuiInput) => void) {
  let stopWatching: (() => void) | undefined
  const unwatch = () => {
    stopWatching?.()
    stopWatching = undefined
  }
  const say = (p: Promise<unknown>, ok: (v: unknown) => string) =>
    void p.then(
      (v) => dispatch({ type: 'said', text: ok(v), error: false }),
      (err: Error) => dispatch({ type: 'said', text: err.message, error: true }),
    )
  async function pollRuns(): Promise<void> {
    try {
      dispatch({ type: 'runs', runs: await source.listRuns() })
    } catch (err) {
      dispatch({ type: 'runsFailed', message: (err as Error).message })
    }
  }
  function perform(effect: Exclude<Effect, { kind: 'quit' }>): void {
    if (effect.kind === 'unwatch') return unwatch()
    if (effect.kind === 'pollRuns') return void pollRuns()
    if (effect.kind === 'control') return say(source.control(effect.dir, effect.command), () => effect.sent)
    if (effect.kind === 'save') return say(source.save(effect.dir, effect.name, effect.personal), (text) => String(text))
    const dir = effect.dir
    unwatch()
    stopWatching = source.watchRun(
      dir,
      (view) => dispatch({ type: 'view', dir, view }),
      (message) => dispatch({ type: 'viewFailed', dir, message }),
    )
  }
  return { perform, pollRuns, unwatch }
}
