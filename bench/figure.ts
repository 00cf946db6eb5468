/** One benchmark figure, printed as a table row and as one JSON line. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

/** Median of a non-empty sample. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
