import { useState, type ReactNode } from "react";
import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { api, errorText, needsToken } from "../api.ts";
import { parseArgument } from "../format.ts";
import type { ResetPointView } from "../timeline.ts";
import { Notice } from "./Notice.tsx";
import { TokenPrompt } from "./TokenPrompt.tsx";

type Action = "signal" | "cancel" | "terminate" | "reset";

/** The reset point that means "the last workflow task" (ResetWorkflow's to_seq 0). */
const LAST_WORKFLOW_TASK = "0";

export interface ActionsProps {
  workflowId: string;
  running: boolean;
  /** Events of the current run a reset may go on after; none: no reset offered. */
  resetPoints: readonly ResetPointView[];
  /** Told the new run's id after a reset. */
  onReset?(runId: string): void;
}

/**
 * Signal, cancel and terminate, for a workflow that is still running; reset, running or closed.
 * Stays mounted once it closes, to tell what the last action did.
 */
export function Actions({ workflowId, running, resetPoints, onReset }: ActionsProps) {
  const [open, setOpen] = useState<Action | undefined>();
  const [name, setName] = useState("");
  const [payload, setPayload] = useState("");
  const [reason, setReason] = useState("");
  const [resetTo, setResetTo] = useState(LAST_WORKFLOW_TASK);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: "info" | "error"; text: string }>();
  const [askToken, setAskToken] = useState(false);

  const toggle = (what: Action) => {
    setOpen(open === what ? undefined : what);
    setReason("");
    setResetTo(LAST_WORKFLOW_TASK);
    setConfirming(false);
  };

  const send = async (what: Action): Promise<string> => {
    switch (what) {
      case "signal":
        await api.signalWorkflow({ workflowId, name: name.trim(), payload: fromJson(ValueSchema, parseArgument(payload || "null")) });
        return `Signal ${name.trim()} sent.`;
      case "cancel": {
        const { closed } = await api.cancelWorkflow({ workflowId, reason: reason.trim() });
        return closed
          ? "Canceled at once: none of its code had run, and no running worker serves its type."
          : "Cancellation requested.";
      }
      case "terminate":
        await api.terminateWorkflow({ workflowId, reason: reason.trim() });
        return "Terminated.";
      case "reset": {
        const reset = await api.resetWorkflow({ workflowId, toSeq: BigInt(resetTo), reason: reason.trim() });
        onReset?.(reset.runId);
        return `Reset: run ${reset.runId} goes on from run ${reset.fromRunId} after event ${reset.toSeq}.`;
      }
    }
  };
  const resetPointText =
    resetTo === LAST_WORKFLOW_TASK ? "the last workflow task" : `event ${resetPoints.find((p) => String(p.seq) === resetTo)?.label ?? resetTo}`;
  const canReset = resetPoints.length > 0;

  const run = async (what: Action) => {
    setBusy(true);
    setMessage(undefined);
    try {
      setMessage({ kind: "info", text: await send(what) });
      setOpen(undefined);
      setConfirming(false);
      setAskToken(false);
    } catch (err) {
      setMessage({ kind: "error", text: errorText(err) });
      setAskToken(needsToken(err));
    } finally {
      setBusy(false);
    }
  };

  const notices = (
    <>
      {message && <Notice kind={message.kind}>{message.text}</Notice>}
      {askToken && (running || canReset) && <TokenPrompt onSaved={() => setAskToken(false)} />}
    </>
  );
  if (!running && !canReset) return message ? <div className="actions-panel">{notices}</div> : null;

  return (
    <div className="actions-panel">
      <div className="row">
        {running && (
          <>
            <button type="button" className={`btn${open === "signal" ? " btn-on" : ""}`} onClick={() => toggle("signal")}>
              Signal…
            </button>
            <button type="button" className={`btn btn-danger${open === "cancel" ? " btn-on" : ""}`} onClick={() => toggle("cancel")}>
              Cancel…
            </button>
            <button type="button" className={`btn btn-danger${open === "terminate" ? " btn-on" : ""}`} onClick={() => toggle("terminate")}>
              Terminate…
            </button>
          </>
        )}
        {canReset && (
          <button type="button" className={`btn${open === "reset" ? " btn-on" : ""}`} onClick={() => toggle("reset")}>
            Reset…
          </button>
        )}
      </div>
      {open === "signal" && (
        <form
          className="card form compact"
          onSubmit={(e) => {
            e.preventDefault();
            void run("signal");
          }}
        >
          <div className="field">
            <label htmlFor="sig-name">Signal name</label>
            <input id="sig-name" required autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="sig-payload">
              Payload <span className="muted">(JSON, optional)</span>
            </label>
            <textarea id="sig-payload" rows={3} spellCheck={false} value={payload} onChange={(e) => setPayload(e.target.value)} placeholder='{"approved": true}' />
          </div>
          <div className="actions">
            <button type="submit" className="btn btn-primary" disabled={busy || !name.trim()}>
              Send signal
            </button>
          </div>
        </form>
      )}
      {open === "cancel" && (
        <form
          className="card form compact"
          onSubmit={(e) => {
            e.preventDefault();
            void run("cancel");
          }}
        >
          <ReasonField id="cancel-reason" value={reason} onChange={setReason} />
          <p className="hint">The workflow sees the cancellation at its next step; running activities are aborted.</p>
          <div className="actions">
            <button type="submit" className="btn btn-danger-solid" disabled={busy}>
              Cancel workflow
            </button>
          </div>
        </form>
      )}
      {open === "terminate" && (
        <form
          className="card form compact"
          onSubmit={(e) => {
            e.preventDefault();
            if (confirming) void run("terminate");
            else setConfirming(true);
          }}
        >
          <ReasonField id="terminate-reason" value={reason} onChange={setReason} disabled={confirming} />
          <p className="hint">
            Ends the workflow now: none of its code runs again, running activities are aborted. For a workflow that is stuck; to let
            it clean up, cancel it instead.
          </p>
          <ConfirmStep
            confirming={confirming}
            busy={busy}
            onBack={() => setConfirming(false)}
            buttonClass="btn-danger-solid"
            question={<>Terminate {workflowId}? This cannot be undone.</>}
            confirm="Yes, terminate"
            start="Terminate workflow"
          />
        </form>
      )}
      {open === "reset" && canReset && (
        <form
          className="card form compact"
          onSubmit={(e) => {
            e.preventDefault();
            if (confirming) void run("reset");
            else setConfirming(true);
          }}
        >
          <div className="field">
            <label htmlFor="reset-to">Reset point</label>
            <select id="reset-to" value={resetTo} disabled={confirming} onChange={(e) => setResetTo(e.target.value)}>
              <option value={LAST_WORKFLOW_TASK}>Last workflow task (before the first failed task, or the close)</option>
              {resetPoints.map((p) => (
                <option key={String(p.seq)} value={String(p.seq)}>
                  After event {p.label}
                </option>
              ))}
            </select>
          </div>
          <ReasonField id="reset-reason" value={reason} onChange={setReason} disabled={confirming} />
          <p className="hint">
            Starts a new run whose history is this run's up to the reset point: the code deployed now goes on from there, and steps
            before it are not run again. For a workflow that failed or got stuck on a bug that is now fixed.
          </p>
          <ConfirmStep
            confirming={confirming}
            busy={busy}
            onBack={() => setConfirming(false)}
            buttonClass="btn-primary"
            question={
              <>
                Reset {workflowId} to {resetPointText}?{" "}
                {running ? "Its current run is terminated, and a new run goes on from there." : "A new run goes on from there."}
              </>
            }
            confirm="Yes, reset"
            start="Reset workflow"
          />
        </form>
      )}
      {notices}
    </div>
  );
}

/** A form's submit button, and once pressed the question with Back and the confirming button. */
function ConfirmStep(props: {
  confirming: boolean;
  busy: boolean;
  onBack(): void;
  buttonClass: string;
  question: ReactNode;
  confirm: string;
  start: string;
}) {
  if (!props.confirming) {
    return (
      <div className="actions">
        <button type="submit" className={`btn ${props.buttonClass}`}>
          {props.start}
        </button>
      </div>
    );
  }
  return (
    <>
      <Notice kind="warn">{props.question}</Notice>
      <div className="actions">
        <button type="button" className="btn" disabled={props.busy} onClick={props.onBack}>
          Back
        </button>
        <button type="submit" className={`btn ${props.buttonClass}`} disabled={props.busy} autoFocus>
          {props.confirm}
        </button>
      </div>
    </>
  );
}

function ReasonField({ id, value, onChange, disabled }: { id: string; value: string; onChange(value: string): void; disabled?: boolean }) {
  return (
    <div className="field">
      <label htmlFor={id}>
        Reason <span className="muted">(optional, recorded in the history)</span>
      </label>
      <input id={id} autoComplete="off" value={value} disabled={disabled} onChange={(e) => onChange(e.target.value)} />
    </div>
  );
}
