import { Box, Text } from "ink";
import { elapsedMs, errorText, formatDuration, formatTime, shorten } from "../format.ts";
import type { OpenActivity, OpenChild, OpenTimer, OpenUpdate } from "../summary.ts";
import { Spinner } from "./Spinner.tsx";

export interface OpenWorkProps {
  activities: readonly OpenActivity[];
  timers: readonly OpenTimer[];
  children?: readonly OpenChild[];
  updates?: readonly OpenUpdate[];
  now: number;
  width: number;
  /** Most item lines to show; the rest are counted in a "+N more" line. */
  maxItems: number;
  /** False while the view is not live (no NATS connection): the spinners stand still. */
  live?: boolean;
}

/** Lines OpenWork takes: a title, the items shown, and a "+N more" line when some are hidden. */
export function openWorkHeight(items: number, maxItems: number): number {
  if (items === 0) return 0;
  const shown = Math.min(items, Math.max(1, maxItems));
  return 1 + shown + (items > shown ? 1 : 0);
}

function activityLine(a: OpenActivity, now: number): string {
  const since = formatDuration(elapsedMs(a.since, undefined, now) ?? 0);
  switch (a.state) {
    case "scheduled":
      return `#${a.activityId} ${a.activityType}  scheduled ${since} ago, waiting for a worker`;
    case "running":
      return `#${a.activityId} ${a.activityType}  attempt ${a.attempt}  running ${since}`;
    case "retrying":
      return `#${a.activityId} ${a.activityType}  attempt ${a.attempt} failed (${errorText(a.lastError, 60)})${
        a.nextAttemptAt ? `, retry at ${formatTime(a.nextAttemptAt)}` : ", retrying"
      }`;
  }
}

function childLine(c: OpenChild, now: number): string {
  const since = formatDuration(elapsedMs(c.since, undefined, now) ?? 0);
  switch (c.state) {
    case "starting":
      return `#${c.stepId} child ${c.childWorkflowId} ${c.workflowType}  starting ${since}, waiting for dfut server`;
    case "running":
      return `#${c.stepId} child ${c.childWorkflowId} ${c.workflowType}  running ${since}`;
    case "canceling":
      return `#${c.stepId} child ${c.childWorkflowId} ${c.workflowType}  asked to cancel ${since} ago`;
  }
}

function updateLine(u: OpenUpdate, now: number): string {
  return `update ${u.name} (id ${u.updateId})  running ${formatDuration(elapsedMs(u.since, undefined, now) ?? 0)}`;
}

/** The activities, timers, child workflows and updates still open, each with a spinner. */
export function OpenWork({ activities, timers, children = [], updates = [], now, width, maxItems, live = true }: OpenWorkProps) {
  const items = [
    ...activities.map((a) => ({ key: `a${a.activityId}`, text: activityLine(a, now), color: a.state === "retrying" ? "red" : "cyan" })),
    ...timers.map((t) => ({ key: `t${t.timerId}`, text: `timer #${t.timerId}  fires at ${formatTime(t.fireAt)}`, color: "blue" })),
    ...children.map((c) => ({ key: `c${c.stepId}`, text: childLine(c, now), color: c.state === "canceling" ? "magenta" : "cyan" })),
    ...updates.map((u) => ({ key: `u${u.updateId}`, text: updateLine(u, now), color: "cyan" })),
  ];
  if (items.length === 0) return null;
  const shown = items.slice(0, Math.max(1, maxItems));
  return (
    <Box flexDirection="column">
      <Text bold>Running</Text>
      {shown.map((item) => (
        <Text key={item.key} wrap="truncate-end">
          {"  "}
          <Spinner color={item.color} active={live} /> {shorten(item.text, Math.max(1, width - 4))}
        </Text>
      ))}
      {items.length > shown.length ? <Text dimColor>{`  +${items.length - shown.length} more`}</Text> : null}
    </Box>
  );
}
