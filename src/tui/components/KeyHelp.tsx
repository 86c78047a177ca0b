import { Box, Text } from "ink";
import { shorten } from "../format.ts";

/** The footer line: which keys do what, and a note on the right. */
export function KeyHelp({ keys, note, width }: { keys: string; note?: string; width: number }) {
  const noteText = note ? ` ${note}` : "";
  return (
    <Box justifyContent="space-between">
      <Text dimColor wrap="truncate-end">{shorten(keys, Math.max(1, width - noteText.length))}</Text>
      {note ? (
        <Box flexShrink={0}>
          <Text dimColor>{noteText}</Text>
        </Box>
      ) : null}
    </Box>
  );
}
