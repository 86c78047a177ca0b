import { Box, Text } from "ink";
import { unhandled, type ErrorInfo } from "../../common/events.ts";
import { compactJson, errorText, spacedJson, wrapText } from "../format.ts";
import type { Outcome } from "../summary.ts";

const MAX_LINES = 4;

const OUTCOME_LABELS: Record<Outcome["kind"], string> = {
  completed: "Result",
  failed: "Error",
  canceled: "Canceled",
  terminated: "Terminated",
  continued: "Continued",
};
const OUTCOME_COLORS: Record<Outcome["kind"], string> = {
  completed: "green",
  failed: "red",
  canceled: "magenta",
  terminated: "red",
  continued: "cyan",
};

function outcomeText(outcome: Outcome, width: number): string {
  switch (outcome.kind) {
    case "completed":
      return spacedJson(outcome.result);
    case "failed":
      return errorText(outcome.error, width * MAX_LINES);
    case "canceled":
    case "terminated":
      return outcome.reason || "(no reason given)";
    case "continued":
      return `as new: ${outcome.workflowType}(${outcome.args.map((a) => compactJson(a)).join(", ")}); dfut server starts the next run`;
    default:
      return unhandled(outcome);
  }
}

/** The label and the text lines of an outcome, wrapped to the width. */
export function outcomeLines(outcome: Outcome, width: number): { label: string; color: string; lines: string[] } {
  const label = OUTCOME_LABELS[outcome.kind];
  const color = OUTCOME_COLORS[outcome.kind];
  const text = outcomeText(outcome, width);
  const inner = Math.max(1, width - label.length - 1);
  return { label, color, lines: wrapText(text, inner, MAX_LINES) };
}

export function outcomeHeight(outcome: Outcome | undefined, width: number): number {
  return outcome ? outcomeLines(outcome, width).lines.length : 0;
}

/** "Result {…}", "Error Name: message", "Canceled reason" or "Continued as new: …", wrapped to at most four lines. */
export function OutcomeView({ outcome, width }: { outcome: Outcome; width: number }) {
  const { label, color, lines } = outcomeLines(outcome, width);
  return (
    <Box>
      <Box flexShrink={0} marginRight={1}>
        <Text bold color={color}>
          {label}
        </Text>
      </Box>
      <Box flexDirection="column">
        {lines.map((line, i) => (
          <Text key={i} wrap="truncate-end">
            {line}
          </Text>
        ))}
      </Box>
    </Box>
  );
}

/** One line about the latest workflow task failure (a bug or non-determinism in workflow code). */
export function TaskFailure({ error, width }: { error: ErrorInfo; width: number }) {
  return (
    <Text color="red" wrap="truncate-end">
      {`⚠ workflow task failed: ${errorText(error, Math.max(1, width - 24))}`}
    </Text>
  );
}
