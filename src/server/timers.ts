import type { JsMsg } from "@nats-io/jetstream";
import type { DfutConnection } from "../common/connection.ts";
import { appendEvent, lastEvent, nowIso } from "../common/history.ts";
import { isTerminal, type NewEvent } from "../common/events.ts";
import { decodeJson } from "../common/payload.ts";
import { publishWorkflowTask, taskMsgIds, type TimerTask } from "../common/tasks.ts";

/**
 * Fires durable timers. A timer is a message that is handed back to the stream with a delay
 * until it is due, so a pending timer survives restarts of every process.
 */
export class TimerService {
  private readonly connection: DfutConnection;
  constructor(connection: DfutConnection) {
    this.connection = connection;
  }

  handle = async (msg: JsMsg): Promise<void> => {
    const timer = decodeJson<TimerTask>(msg.data);
    const remaining = Date.parse(timer.fireAt) - Date.now();
    if (remaining > 0) {
      msg.nak(remaining);
      return;
    }
    const last = await lastEvent(this.connection.jsm, timer.workflowId);
    if (last && !isTerminal(last)) {
      const event: NewEvent = { type: "TimerFired", time: nowIso(), timerId: timer.timerId };
      const { seq } = await appendEvent(this.connection.js, timer.workflowId, event, {
        msgId: taskMsgIds.timerFired(timer.workflowId, timer.timerId),
      });
      await publishWorkflowTask(this.connection.js, timer.queue, timer.workflowId, { ...event, seq });
    }
    msg.ack();
  };
}
