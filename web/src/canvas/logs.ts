// Ordering of log lines for people: errors first, then warnings, info, debug; newest first
// within a level.
export interface LogLine {
  id: number;
  time: string | null;
  level: string;
}
const RANK: Record<string, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export function sortLogs<T extends LogLine>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => (RANK[a.level] ?? 9) - (RANK[b.level] ?? 9) || (b.time ?? '').localeCompare(a.time ?? '') || b.id - a.id);
}
