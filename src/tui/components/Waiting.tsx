import { Text } from "ink";
import { shorten } from "../format.ts";
import { Spinner } from "./Spinner.tsx";

/** Shown while a workflow id has no history yet. */
export function Waiting({ workflowId, width }: { workflowId: string; width: number }) {
  return (
    <Text wrap="truncate-end">
      <Spinner /> {shorten(`waiting for workflow ${workflowId} to start…`, Math.max(1, width - 2))}
    </Text>
  );
}
