import type { ErrorView } from "../timeline.ts";

/** An error, expanded: name and message up front, the stack one click away. */
export function ErrorBox({ error, title }: { error: ErrorView; title?: string }) {
  return (
    <div className="error-box" role="group" aria-label={title ?? "error"}>
      {title && <div className="error-title">{title}</div>}
      <div className="error-message">
        <strong>{error.name}</strong>: {error.message}
      </div>
      {error.stack && (
        <details className="error-stack">
          <summary>Stack trace</summary>
          <pre>{error.stack}</pre>
        </details>
      )}
    </div>
  );
}
