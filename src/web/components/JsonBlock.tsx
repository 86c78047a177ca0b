import type { JsonValue } from "@bufbuild/protobuf";
import { formatJson } from "../format.ts";

export function JsonBlock({ value, label }: { value: JsonValue | undefined; label?: string }) {
  return (
    <pre className="json" aria-label={label}>
      {formatJson(value ?? null)}
    </pre>
  );
}
