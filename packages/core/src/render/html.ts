/**
 * HTML escaping for the report. Internal. Everything that comes from events (app names,
 * revisions, gate names, reasons, queries) is user data and goes through here.
 */

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
}

/** Escapes text for element content and (double- or single-quoted) attribute values. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (ch) => ENTITIES[ch]!)
