// The order in which answers known before the script asked (journal answers on resume, outcomes of restored agents
// that finished early) reach the script: one at a time, whenever the script has nothing else to do (a macrotask),
// earliest first by `seq`. Why that order matters is in script-host.ts's header.
export interface ReplayQueue {
  /** Delivers `deliver` in its turn: after every answer with a smaller seq, one per macrotask. */
  hold(seq: number, deliver: () => void): void
}

export function createReplayQueue(): ReplayQueue {
  /** Waiting answers, sorted by seq with the next to hand over last. */
  const held: { seq: number; deliver(): void }[] = []
  let releasing = false

  function releaseOne(): void {
    const next = held.pop()
    if (next) next.deliver()
    if (held.length) setImmediate(releaseOne)
    else releasing = false
  }

  return {
    hold(seq, deliver) {
      let i = held.length
      while (i > 0 && held[i - 1]!.seq < seq) i--
      held.splice(i, 0, { seq, deliver })
      if (!releasing) {
        releasing = true
        setImmediate(releaseOne)
      }
    },
  }
}
