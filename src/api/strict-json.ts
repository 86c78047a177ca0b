/**
 * Reads a request's JSON more strictly than the protobuf JSON mapping: a number a double
 * cannot hold, or an unknown field, is refused instead of being rounded or ignored.
 */
import type { DescMessage, JsonObject, JsonValue } from "@bufbuild/protobuf";
import { InvalidArgumentError } from "../common/errors.ts";
import { inexactNumber } from "../common/payload.ts";

/** JSON.parse hands a reviver the number's text as well (Node 21+). */
interface ReviverContext {
  source?: string;
}

export function parseRequestJson(text: string, schema: DescMessage): JsonObject {
  let value: JsonValue;
  try {
    value = JSON.parse(text, checkNumber) as JsonValue;
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    throw new InvalidArgumentError(`the request body is not valid JSON (${(err as Error).message}); send a JSON object (a ${schema.name})`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidArgumentError(`the request body must be a JSON object (a ${schema.name}), not ${Array.isArray(value) ? "an array" : JSON.stringify(value)}`);
  }
  checkFields(value, schema);
  return value;
}

function checkNumber(_key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value !== "number") return value;
  const source = context?.source ?? String(value);
  switch (inexactNumber(value, source)) {
    case "not finite":
      throw new InvalidArgumentError(`the number ${source} is out of range for JSON numbers (64-bit floats, at most about 1.8e308); pass it as a string`);
    case "beyond 2^53":
      throw new InvalidArgumentError(`the integer ${source} is beyond 2^53, where JSON numbers lose precision; pass it as a string ("${source}")`);
    default:
      return value;
  }
}

const squash = (name: string) => name.replaceAll("_", "").toLowerCase();

/** The protobuf JSON mapping accepts a field by its JSON name or its proto name. */
function checkFields(value: JsonObject, schema: DescMessage): void {
  const names = new Set(schema.fields.flatMap((f) => [f.jsonName, f.name]));
  for (const key of Object.keys(value)) {
    if (names.has(key)) continue;
    const near = schema.fields.find((f) => squash(f.name) === squash(key));
    const guess = near ? `; did you mean "${near.jsonName}"?` : "";
    throw new InvalidArgumentError(`unknown field "${key}" in ${schema.name}${guess} (its fields: ${schema.fields.map((f) => f.jsonName).join(", ")})`);
  }
}
