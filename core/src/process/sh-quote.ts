/** Quotes one word for a POSIX shell (ssh hands the guest's shell one joined string). */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
