import { useState } from "react";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { durationFromMs, ValueSchema } from "@bufbuild/protobuf/wkt";
import { api, errorText } from "../api.ts";
import { formatClock, jsonOf, parseQueryArgs } from "../format.ts";
import { JsonBlock } from "./JsonBlock.tsx";
import { Notice } from "./Notice.tsx";

/** How long the page waits for a worker's answer. */
const QUERY_TIMEOUT_MS = 10_000;

type Answer = { ok: true; name: string; at: number; result: JsonValue } | { ok: false; message: string };

/**
 * Asks one of the workflow's query handlers (ctx.onQuery) and shows its answer or why there is
 * none. Works on closed workflows too: a worker of the type replays the history to answer.
 */
export function QueryBox({ workflowId }: { workflowId: string }) {
  const [name, setName] = useState("");
  const [args, setArgs] = useState("");
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<Answer>();

  const run = async () => {
    const query = name.trim();
    setBusy(true);
    try {
      const values = parseQueryArgs(args).map((v) => fromJson(ValueSchema, v));
      const { result } = await api.queryWorkflow({ workflowId, name: query, args: values, timeout: durationFromMs(QUERY_TIMEOUT_MS) });
      setAnswer({ ok: true, name: query, at: Date.now(), result: jsonOf(result) });
    } catch (err) {
      setAnswer({ ok: false, message: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="card form compact query-box"
      aria-label="Query"
      onSubmit={(e) => {
        e.preventDefault();
        void run();
      }}
    >
      <div className="query-fields">
        <div className="field">
          <label htmlFor="query-name">Query name</label>
          <input id="query-name" required autoComplete="off" spellCheck={false} value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field query-args">
          <label htmlFor="query-args">
            Arguments <span className="muted">(JSON array, optional)</span>
          </label>
          <input id="query-args" autoComplete="off" spellCheck={false} value={args} onChange={(e) => setArgs(e.target.value)} placeholder='["a", 2]' />
        </div>
        <button type="submit" className="btn btn-primary" disabled={busy || !name.trim()}>
          {busy ? "Running…" : "Run query"}
        </button>
      </div>
      {answer && (
        <div className="query-answer" data-ok={answer.ok}>
          {answer.ok ? (
            <>
              <JsonBlock value={answer.result} label="query result" />
              <p className="hint">
                {answer.name} · answered at {formatClock(answer.at)}; a query records nothing in the history.
              </p>
            </>
          ) : (
            <Notice kind="error">{answer.message}</Notice>
          )}
        </div>
      )}
    </form>
  );
}
