// The live run's journal writer as the runtime uses it: when an append fails (disk full), the run fails with that
// sentence instead of crashing, later appends refuse at once, and what was journaled before stays resumable.
import type { JournalEntry } from '../store/journal.js'

export interface GuardedJournal {
  /** Appends, or throws the journal's sentence (the caller must not go on as if it were written). */
  append(entry: JournalEntry): void
  /** Appends what is only a record (a log line, a status): a failure is already reported through `onFail`. */
  appendQuietly(entry: JournalEntry): void
}

export function guardJournal(journal: { append(entry: JournalEntry): void }, onFail: (message: string) => void): GuardedJournal {
  let failed: string | undefined
  const append = (entry: JournalEntry): void => {
    if (failed) throw new Error(failed)
    try {
      journal.append(entry)
    } catch (err) {
      failed = (err as Error).message
      const message = failed
      queueMicrotask(() => onFail(message))
      throw err
    }
  }
  return {
    append,
    appendQuietly(entry) {
      try {
        append(entry)
      } catch {
        /* reported through onFail */
      }
    },
  }
}
