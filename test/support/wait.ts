// Polling for something a real server or another process does, with a deadline and a sentence on timeout. A probe
// that throws (a file another process has not written yet) counts as "not yet": on a loaded machine that is normal,
// and the last error is reported only if the deadline passes.
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const v = await probe()
      if (v) return v
    } catch (err) {
      lastError = err
    }
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message ?? lastError})` : ''}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}
