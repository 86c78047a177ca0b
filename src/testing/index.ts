/** `import { TestEnvironment } from "dfut/testing"`: dfut in a test's own process, with time skipping. */
export { TestEnvironment, type TestEnvironmentOptions } from "./test-environment.ts";
export { replayHistories, type RecordedHistory, type ReplayOptions, type ReplayResult } from "../replay/replay-histories.ts";
