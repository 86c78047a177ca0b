import type { DfutConnection } from "../common/connection.ts";
import { PayloadError, toErrorInfo } from "../common/errors.ts";
import type { ActivityScheduled, HistoryEvent } from "../common/events.ts";
import { appendEvent, HistoryConflictError, nowIso, readHistory } from "../common/history.ts";
import { subjects } from "../common/names.ts";
import { encodeJson } from "../common/payload.ts";
import { publishStepTask } from "../common/tasks.ts";
import { commandMsgId, commandToEvent, isCloseCommand, type Command, type PendingStep, type WorkflowExecution } from "../workflow/execution.ts";

export interface CommandPersisterOptions {
  connection: DfutConnection;
  /** Headers to send with a run's step tasks (what its workflow task's interceptors asked for). */
  headersFor?: (execution: WorkflowExecution) => Readonly<Record<string, string>>;
  /** Whether this worker runs the activity itself when it is the lone command of a batch. */
  runsEagerly?: (activityType: string, queue: string) => boolean;
}

/**
 * The write side of a workflow task: records commands as events and publishes the tasks of the
 * steps they record, the close notice of a close.
 */
export class CommandPersister {
  readonly #options: CommandPersisterOptions;

  constructor(options: CommandPersisterOptions) {
    this.#options = options;
  }

  /**
   * Appends the commands one after another, each fenced on the event before it, then publishes
   * the tasks of the steps they record. Returns the step this worker should run eagerly instead
   * of publishing it: only a lone activity it has.
   *
   * The tasks go out only once the whole batch is stored: a step started meanwhile would break
   * the fence of the next append (a wide Promise.all would conflict with itself). When another
   * writer breaks a fence all the same (a signal, an outcome of an earlier step), the run reads
   * just what was added, applies it as a replay would, and goes on with what is still unrecorded.
   * Throws HistoryConflictError when only a replay from history can tell what happened.
   */
  async persist(execution: WorkflowExecution, commands: Command[]): Promise<ActivityScheduled | undefined> {
    const [only] = commands;
    let runHere = commands.length === 1 && only.kind === "ScheduleActivity" && this.#options.runsEagerly?.(only.activityType, only.options.queue);
    const steps: PendingStep[] = [];
    try {
      let pending = commands;
      while (pending.length > 0 && !execution.closed) {
        let recorded: HistoryEvent;
        try {
          recorded = await this.#appendOne(execution, pending[0]);
        } catch (err) {
          if (!(err instanceof HistoryConflictError)) throw err;
          pending = await this.#catchUp(execution, pending, err);
          runHere = false;
          continue;
        }
        pending = pending.slice(1);
        if (execution.closed) this.announceClose(execution.workflowId, recorded);
        if (recorded.type === "UpdateCompleted") this.announce(subjects.updated(execution.workflowId), recorded);
        if (runHere && recorded.type === "ActivityScheduled") return recorded;
        if (recorded.type === "ActivityScheduled" || recorded.type === "TimerStarted") steps.push(recorded);
      }
    } finally {
      // The workflow task is acked only after every step's task is stored, so a crash in between
      // redelivers it (see republish).
      await this.#publish(execution, steps);
    }
    return undefined;
  }

  /**
   * A worker that recorded steps may have died before it published their tasks; whoever rebuilds
   * the run from history (a redelivery, or a cold cache) publishes them again. That costs little:
   * JetStream drops the copies it has seen, and activity workers check history before running a
   * copy marked `verify`.
   */
  async republish(execution: WorkflowExecution, only?: ReadonlySet<number>): Promise<void> {
    const steps = execution.pendingSteps().filter((step) => !only || only.has(step.seq));
    await this.#publish(execution, steps, { verify: true });
  }

  /** Waiting clients learn of a close from this notice, sent only once the close is stored. */
  announceClose(workflowId: string, close: HistoryEvent): void {
    this.announce(subjects.closed(workflowId), close);
  }

  /** A notice on a core subject of an event that is stored (not durable: waiters also look). */
  announce(subject: string, event: HistoryEvent): void {
    this.#options.connection.nc.publish(subject, encodeJson(event));
  }

  async #publish(execution: WorkflowExecution, steps: PendingStep[], options: { verify?: boolean } = {}): Promise<void> {
    const { js } = this.#options.connection;
    await Promise.all(
      steps.map((step, i) => {
        // The batch appended more events after all but its last step: their starts cannot follow them.
        const followed = !options.verify && i < steps.length - 1;
        return publishStepTask(js, execution.workflowId, execution.queue, step, { ...options, followed, headers: this.#options.headersFor?.(execution) });
      }),
    );
  }

  /**
   * After a broken fence: applies the events another writer added and returns the commands still
   * to record (those not recorded meanwhile, and what the new events made the code ask for). A
   * fence broken with nothing new to read (a stale cache) is left to a replay from history.
   * Steps recorded by another writer get their tasks published again, as after any rebuild: that
   * writer may have died before it published them.
   */
  async #catchUp(execution: WorkflowExecution, pending: Command[], conflict: HistoryConflictError): Promise<Command[]> {
    const added = await readHistory(this.#options.connection, execution.workflowId, execution.lastSeq);
    if (added.length === 0) throw conflict;
    const more = await execution.apply(added);
    const foreignSteps = new Set(added.filter((e) => e.type === "ActivityScheduled" || e.type === "TimerStarted").map((e) => e.seq));
    if (foreignSteps.size > 0) await this.republish(execution, foreignSteps);
    const unrecorded = pending.filter((command) => !isCloseCommand(command) && !execution.isRecorded(command));
    return [...unrecorded, ...more];
  }

  async #appendOne(execution: WorkflowExecution, command: Command): Promise<HistoryEvent> {
    const { js, maxPayload } = this.#options.connection;
    const msgId = commandMsgId(execution.workflowId, execution.runId, command);
    let event = commandToEvent(command, nowIso());
    let appended;
    try {
      appended = await appendEvent(this.#options.connection, execution.workflowId, event, { expectLastSeq: execution.lastSeq, msgId, maxPayload });
    } catch (err) {
      if (!(err instanceof PayloadError) || !isCloseCommand(command)) throw err;
      // The workflow's own result is too large to record: that is the workflow's failure.
      event = commandToEvent({ kind: "FailWorkflow", error: toErrorInfo(err) }, nowIso());
      appended = await appendEvent(this.#options.connection, execution.workflowId, event, { expectLastSeq: execution.lastSeq, msgId });
    }
    const recorded = { ...event, seq: appended.seq } as HistoryEvent;
    await execution.apply([recorded]);
    return recorded;
  }
}
