/**
 * Sync windows. BDNS's reception-date filter is inclusive at both ends; windows longer than ~7 days
 * fail intermittently (ERR_MANTENIMIENTO_BBDD), so every window is cut into pieces of at most 7 days.
 * By default a sync covers the 7 days ending yesterday: today is still receiving records.
 */
export const MAX_PIECE_DAYS = 7;

export interface Window {
  from: string;
  to: string;
}

export function addDays(isoDate: string, days: number): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function resolveWindow(w: { from?: string | undefined; to?: string | undefined }, now: Date = new Date()): Window {
  const yesterday = addDays(now.toISOString().slice(0, 10), -1);
  if (w.from && w.to) return { from: w.from, to: w.to };
  if (w.from) return { from: w.from, to: w.from > yesterday ? w.from : yesterday };
  const to = w.to ?? yesterday;
  return { from: addDays(to, -(MAX_PIECE_DAYS - 1)), to };
}

export function splitWindow(w: Window, days = MAX_PIECE_DAYS): Window[] {
  const pieces: Window[] = [];
  for (let from = w.from; from <= w.to; from = addDays(from, days)) {
    const end = addDays(from, days - 1);
    pieces.push({ from, to: end < w.to ? end : w.to });
  }
  return pieces;
}
