// The approval policy every surface follows (README "Usage"; ARCHITECTURE §6). A run starts without asking when the
// mode is `bypass` (or `--yes`), or when consent was recorded for this project, this workflow name and this exact
// script together with the sub-workflows it names (the consent hash). Otherwise the surface asks in its own way
// (the CLI's terminal prompt, OpenCode's permission prompt in the plugin); a "yes" records consent when the user
// said "don't ask again", or in `auto` mode. `ocdw schedule add` records consent up front so cron is never asked.
import { approvedSetOf, combinedHash, sha256 } from '../actors/approved-set.js'
import { workflowResolver } from '../actors/workflow-lookup.js'
import { hasConsent, recordConsent } from '../store/consent.js'

export type ApprovalMode = 'default' | 'auto' | 'bypass'

/** What consent is keyed on: the project, the workflow's meta name, its source and the sub-workflows it names. */
export interface ConsentSubject {
  projectDir: string
  name: string
  source: string
  /** Sub-workflows the script calls by name (name -> source); part of the hash, so an edited one asks again. */
  subWorkflows?: Record<string, string>
}

/** The sha256 of a script's text (hex). */
export const scriptHash = (source: string): string => sha256(source)

/**
 * The hash consent is keyed on: the script and every sub-workflow it names. Without sub-workflows it is the
 * script's own hash, so consent recorded before sub-workflows were hashed still applies.
 */
export function consentHash(source: string, subWorkflows: Record<string, string> = {}): string {
  const workflows: Record<string, string> = {}
  for (const [n, s] of Object.entries(subWorkflows)) workflows[n] = sha256(s)
  return combinedHash({ script: scriptHash(source), workflows })
}

export function hasConsentFor(s: ConsentSubject): boolean {
  return hasConsent({ projectDir: s.projectDir, name: s.name, scriptHash: consentHash(s.source, s.subWorkflows) })
}

/** "Don't ask again" for this exact script (and sub-workflows) under this name in this project. */
export function recordConsentFor(s: ConsentSubject): void {
  recordConsent({ projectDir: s.projectDir, name: s.name, scriptHash: consentHash(s.source, s.subWorkflows) })
}

/**
 * Why the run may start without asking (`bypass`: the mode or `--yes`; `consent`: recorded earlier), or undefined
 * when the user must be asked.
 */
export function approvedWithoutAsking(mode: ApprovalMode, s: ConsentSubject, yes = false): 'bypass' | 'consent' | undefined {
  if (yes || mode === 'bypass') return 'bypass'
  return hasConsentFor(s) ? 'consent' : undefined
}

/** After the user said yes: consent is recorded when they asked not to be asked again, and always in `auto` mode. */
export function rememberYes(mode: ApprovalMode, s: ConsentSubject, dontAskAgain: boolean): void {
  if (dontAskAgain || mode === 'auto') recordConsentFor(s)
}

/**
 * The consent subject of a script as a run of it would see it now: with the sub-workflows it names resolved in the
 * project, as the run resolves them (so consent recorded ahead of time, by `ocdw schedule add`, matches the run's).
 */
export async function consentSubjectOf(projectDir: string, name: string, source: string): Promise<ConsentSubject> {
  const covered = await approvedSetOf(source, workflowResolver(projectDir))
  return { projectDir, name, source, subWorkflows: covered.sources }
}
