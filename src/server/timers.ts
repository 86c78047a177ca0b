import type { JsMsg } from "@nats-io/jetstream";
import type { DfutConnection } from "../common/connection.ts";
import { appendEvent, lastEvent, nowIso } from "../common/history.ts";
import { clock } from "../common/clock.ts";
import { isTerminal, type NewEvent } from "../common/events.ts";
import type { KV } from "@nats-io/kv";
import { workflowIdFromTimerSubject } from "../common/names.ts";
import { eventMsgIds } from "../common/msg-ids.ts";
import { decodeTimerTask, publishWorkflowTask } from "../common/tasks.ts";
import type { Logger } from "../common/logger.ts";
import { setAside } from "../worker/poison.ts";

/**
 * Fires durable timers. A timer is a message that is handed back to the stream with a delay
 * until it is due, so a pending timer survives restarts of every process.
 */
export class TimerService {
  private readonly connection: DfutConnection;
  private readonly context: { logger: Logger; executions: KV };
  constructor(connection: DfutConnection, context: { logger: Logger; executions: KV }) {
    this.connection = connection;
    this.context = context;
  }

  handle = async (msg: JsMsg): Promise<void> => {
    const decoded = decodeTimerTask(msg.data);
    if (!decoded.ok) {
      const workflowId = workflowIdFromTimerSubject(msg.subject);
      return setAside(msg, "timer", decoded.problem, { ...this.context, workflowId });
    }
    const timer = decoded.value;
    const remaining = Date.parse(timer.fireAt) - clock.now();
    if (remaining > 0) {
      msg.nak(clock.wait(remaining));
      return;
    }
    const last = await lastEvent(this.connection, timer.workflowId);
    if (last && !isTerminal(last)) {
      const event: NewEvent = { type: "TimerFired", time: nowIso(), timerId: timer.timerId };
      const { seq } = await appendEvent(this.connection, timer.workflowId, event, {
        msgId: eventMsgIds.timerFired(timer.workflowId, timer.timerId),
      });
      await publishWorkflowTask(this.connection.js, timer.queue, timer.workflowId, { ...event, seq });
    }
    msg.ack();
  };
}
