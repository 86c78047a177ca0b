import { useEffect, useMemo, useState } from "react";
import type { JsonValue } from "@bufbuild/protobuf";
import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import type { WorkflowType } from "../../api/gen/dfut/v1/workflow_pb.ts";
import { api, errorText, needsToken } from "../api.ts";
import { Notice } from "../components/Notice.tsx";
import { TokenPrompt } from "../components/TokenPrompt.tsx";
import { parseArgument, previewJson } from "../format.ts";
import { useWorkflowTypes } from "../hooks/useWorkflowTypes.ts";
import { navigate } from "../route.ts";

const keyOf = (t: WorkflowType) => `${t.queue}/${t.name}`;

/** Pick a registered workflow type, fill in its parameters, start it, go to its page. */
export function StartPage({ initialType }: { initialType?: string }) {
  const { types, loading, error, reload } = useWorkflowTypes();
  const [selected, setSelected] = useState("");
  const [values, setValues] = useState<string[]>([]);
  const [workflowId, setWorkflowId] = useState("");
  const [submitting, setSubmitting] = useState(false);
  const [startError, setStartError] = useState<string>();
  const [askToken, setAskToken] = useState(false);

  useEffect(() => {
    if (selected || types.length === 0) return;
    const initial = types.find((t) => t.name === initialType) ?? types[0];
    setSelected(keyOf(initial));
  }, [types, initialType, selected]);
  const type = useMemo(() => types.find((t) => keyOf(t) === selected), [types, selected]);
  const parameterCount = type?.parameters.length ?? 0;
  // A new type gets empty fields; reloading the list keeps what was typed.
  useEffect(() => setValues(Array.from({ length: parameterCount }, () => "")), [selected, parameterCount]);

  const args: JsonValue[] = values.map(parseArgument);

  const submit = async () => {
    if (!type) return;
    setSubmitting(true);
    setStartError(undefined);
    try {
      const res = await api.startWorkflow({
        type: type.name,
        queue: type.queue,
        workflowId: workflowId.trim(),
        args: args.map((a) => fromJson(ValueSchema, a)),
      });
      navigate({ page: "workflow", workflowId: res.workflowId });
    } catch (err) {
      setStartError(errorText(err));
      setAskToken(needsToken(err));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <section className="page narrow">
      <div className="page-head">
        <h1>Start a workflow</h1>
      </div>
      {error && <Notice kind="error">Could not load the workflow types: {error}</Notice>}
      {!loading && !error && types.length === 0 && (
        <Notice kind="warn">
          No worker is running, so there is no workflow type to start. Run one, e.g. <code>dfut worker --load ./order.ts</code>,
          then{" "}
          <button type="button" className="link" onClick={reload}>
            look again
          </button>
          .
        </Notice>
      )}
      {types.length > 0 && (
        <form
          className="card form"
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <div className="field">
            <label htmlFor="wf-type">Workflow type</label>
            <div className="row">
              <select id="wf-type" value={selected} onChange={(e) => setSelected(e.target.value)}>
                {types.map((t) => (
                  <option key={keyOf(t)} value={keyOf(t)}>
                    {t.name}
                    {t.queue !== "default" ? ` (queue ${t.queue})` : ""}
                  </option>
                ))}
              </select>
              <button type="button" className="btn" onClick={reload} title="Reload the registered types">
                ↻
              </button>
            </div>
            {type && (
              <p className="hint">
                Queue <code>{type.queue}</code> · {type.workers} worker{type.workers === 1 ? "" : "s"} registered
              </p>
            )}
          </div>

          {type && type.parameters.length > 0 && (
            <fieldset className="params">
              <legend>Arguments</legend>
              <p className="hint">Each value is read as JSON where it parses (42, true, {'{"a":1}'}, "text"), otherwise as plain text.</p>
              {type.parameters.map((p, i) => (
                <div className="field" key={`${selected}-${p}-${i}`}>
                  <label htmlFor={`arg-${i}`}>{p}</label>
                  <input
                    id={`arg-${i}`}
                    name={p}
                    autoComplete="off"
                    spellCheck={false}
                    value={values[i] ?? ""}
                    onChange={(e) => setValues((v) => v.map((x, j) => (j === i ? e.target.value : x)))}
                  />
                  <span className="hint mono">= {previewJson(args[i] ?? "", 60)}</span>
                </div>
              ))}
            </fieldset>
          )}

          <div className="field">
            <label htmlFor="wf-id">
              Workflow ID <span className="muted">(optional)</span>
            </label>
            <input
              id="wf-id"
              autoComplete="off"
              spellCheck={false}
              value={workflowId}
              onChange={(e) => setWorkflowId(e.target.value)}
              placeholder={type ? `${type.name}-… (generated)` : ""}
            />
          </div>

          {startError && <Notice kind="error">{startError}</Notice>}
          {askToken && <TokenPrompt onSaved={() => void submit()} />}
          <div className="actions">
            <button type="submit" className="btn btn-primary" disabled={!type || submitting}>
              {submitting ? "Starting…" : "Start"}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
