import { useState } from "react";
import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { api, errorText, needsToken } from "../api.ts";
import { parseArgument } from "../format.ts";
import { Notice } from "./Notice.tsx";
import { TokenPrompt } from "./TokenPrompt.tsx";

/** Signal and cancel, for a workflow that is still running. */
export function Actions({ workflowId }: { workflowId: string }) {
  const [open, setOpen] = useState<"signal" | "cancel" | undefined>();
  const [name, setName] = useState("");
  const [payload, setPayload] = useState("");
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: "info" | "error"; text: string }>();
  const [askToken, setAskToken] = useState(false);

  const run = async (what: "signal" | "cancel") => {
    setBusy(true);
    setMessage(undefined);
    try {
      if (what === "signal") {
        await api.signalWorkflow({ workflowId, name: name.trim(), payload: fromJson(ValueSchema, parseArgument(payload || "null")) });
        setMessage({ kind: "info", text: `Signal ${name.trim()} sent.` });
      } else {
        await api.cancelWorkflow({ workflowId, reason: reason.trim() });
        setMessage({ kind: "info", text: "Cancellation requested." });
      }
      setOpen(undefined);
      setAskToken(false);
    } catch (err) {
      setMessage({ kind: "error", text: errorText(err) });
      setAskToken(needsToken(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="actions-panel">
      <div className="row">
        <button type="button" className={`btn${open === "signal" ? " btn-on" : ""}`} onClick={() => setOpen(open === "signal" ? undefined : "signal")}>
          Signal…
        </button>
        <button type="button" className={`btn btn-danger${open === "cancel" ? " btn-on" : ""}`} onClick={() => setOpen(open === "cancel" ? undefined : "cancel")}>
          Cancel…
        </button>
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
          <div className="field">
            <label htmlFor="cancel-reason">
              Reason <span className="muted">(optional)</span>
            </label>
            <input id="cancel-reason" autoComplete="off" value={reason} onChange={(e) => setReason(e.target.value)} />
          </div>
          <p className="hint">The workflow sees the cancellation at its next step; running activities are aborted.</p>
          <div className="actions">
            <button type="submit" className="btn btn-danger-solid" disabled={busy}>
              Cancel workflow
            </button>
          </div>
        </form>
      )}
      {message && <Notice kind={message.kind}>{message.text}</Notice>}
      {askToken && <TokenPrompt onSaved={() => setAskToken(false)} />}
    </div>
  );
}
