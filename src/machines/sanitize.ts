// Untrusted text (agent output, logs, prompts, run names from disk) must not drive the user's terminal: an agent can
// emit OSC 52 (write the clipboard), OSC 8 (disguised links), screen clears or cursor moves. Every surface that
// prints such text passes it through here first. Pure, no I/O.

// ESC-introduced sequences: CSI (ESC [ ... final), OSC/DCS/SOS/PM/APC strings (ended by BEL or ST, or unterminated),
// and two-byte escapes (ESC followed by one character).
const ESCAPES = new RegExp(
  [
    '\\u001b\\[[0-?]*[ -/]*[@-~]?', // CSI
    '\\u001b[\\]PX^_][\\s\\S]*?(?:\\u0007|\\u001b\\\\|$)', // OSC, DCS, SOS, PM, APC
    '\\u009b[0-?]*[ -/]*[@-~]?', // 8-bit CSI
    '[\\u0090\\u0098\\u009d\\u009e\\u009f][\\s\\S]*?(?:\\u0007|\\u009c|$)', // 8-bit string introducers
    '\\u001b[\\s\\S]?', // any other escape
  ].join('|'),
  'g',
)
// Remaining C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides that can make text
// read differently from what it is.
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g

/** `text` with every terminal control sequence and control character removed (newlines and tabs kept). */
export function sanitizeForTerminal(text: string): string {
  return text.replace(ESCAPES, '').replace(/\r\n/g, '\n').replace(CONTROLS, '')
}

/** Like sanitizeForTerminal, for text shown on one line (newlines and tabs become spaces). */
export function sanitizeLine(text: string): string {
  return sanitizeForTerminal(text).replace(/[\n\t]/g, ' ')
}
