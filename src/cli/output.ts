/** Writing results: JSON for machines, text and cli-table3 tables for people. */
import Table from "cli-table3";

export function printJson(value: unknown, pretty = true): void {
  process.stdout.write(`${JSON.stringify(value, null, pretty ? 2 : undefined)}\n`);
}

export function printLine(text = ""): void {
  process.stdout.write(`${text}\n`);
}

export function table(head: string[], colWidths?: number[]): Table.Table {
  return new Table({
    head,
    ...(colWidths ? { colWidths, wordWrap: true, wrapOnWordBoundary: false } : {}),
    // No rule between body rows: a log reads better dense.
    chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
    style: { head: process.stdout.isTTY ? ["cyan"] : [], border: process.stdout.isTTY ? ["grey"] : [] },
  });
}

/** A table without borders whose rows can be printed one at a time, aligned. */
export function streamingRow(cells: string[], colWidths: number[]): string {
  const t = new Table({
    colWidths,
    wordWrap: true,
    wrapOnWordBoundary: false,
    chars: {
      top: "", "top-mid": "", "top-left": "", "top-right": "",
      bottom: "", "bottom-mid": "", "bottom-left": "", "bottom-right": "",
      left: "", "left-mid": "", mid: "", "mid-mid": "", right: "", "right-mid": "", middle: " ",
    },
    style: { "padding-left": 0, "padding-right": 0, head: [], border: [] },
  });
  t.push(cells);
  return t.toString();
}

/** Width left for the widest column once the fixed ones are laid out. */
export function remainingWidth(fixed: number[], min = 30): number {
  const total = process.stdout.columns || 120;
  return Math.max(min, total - fixed.reduce((a, b) => a + b, 0) - (fixed.length + 1) * 1 - 2);
}
