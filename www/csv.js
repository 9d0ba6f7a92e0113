// The staff view's override export as CSV, apart from the page so that the test suites run this
// very code: `cargo test` reads what it writes back with tiermatch's own CSV reader.

/** The export's header; tiermatch's reader knows the file by it (src/data.rs). */
export const OVERRIDE_HEADER = ['id', 'subject', 'body', 'tier', 'suggested_tier', 'suggested_confidence'];

/**
 * One CSV field: quoted, quotes doubled. A cell starting with = + - @ (a formula to a spreadsheet),
 * a tab, a carriage return or ' gets one ' before it, so a spreadsheet shows it as text; the reader
 * takes exactly one ' off every cell of the export that starts with one, so each cell reads back
 * as it was typed, a typed leading ' included.
 */
export function csvField(v) {
  let s = String(v ?? '');
  if (/^[=+\-@\t\r']/.test(s)) s = `'${s}`;
  return `"${s.replaceAll('"', '""')}"`;
}

/** The rows (arrays of cells), the header first, as CSV with CRLF line ends. */
export function toCsv(rows) {
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
