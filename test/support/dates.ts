/** 'YYYY-MM' of the month `k` months before the current one (UTC). */
export function monthsAgo(k: number): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - k, 1)).toISOString().slice(0, 7);
}

export function daysIn(month: string): number {
  const [y, m] = month.split('-').map(Number);
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** Today, UTC, as the database sees it. */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}
