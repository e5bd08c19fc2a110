/** Formatting helpers for the CLI's human-readable output. */
import type { Explanation } from '../core/types.js';

export function formatNumber(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatExplanation(e: Explanation, indent = '      '): string {
  const lines: string[] = [];
  const walk = (node: Explanation, depth: number) => {
    lines.push(`${indent}${'  '.repeat(depth)}${Number(node.value.toPrecision(6))} = ${node.description}`);
    for (const d of node.details) walk(d, depth + 1);
  };
  walk(e, 0);
  return lines.join('\n');
}
