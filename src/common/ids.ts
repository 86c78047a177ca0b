import { InvalidArgumentError } from "./errors.ts";

/**
 * Workflow ids and queue names become NATS subject tokens, so they are limited to characters
 * that are safe there (and in KV keys and consumer names).
 */
const TOKEN = /^[A-Za-z0-9_-]+$/;
const MAX_LENGTH = 200;

export const ALLOWED_ID_CHARS = "letters, digits, '-' and '_'";

export function validateToken(kind: "workflow id" | "queue name", value: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new InvalidArgumentError(`${kind} must not be empty`);
  }
  if (value.length > MAX_LENGTH) {
    throw new InvalidArgumentError(`${kind} is ${value.length} characters long; at most ${MAX_LENGTH} are allowed`);
  }
  if (!TOKEN.test(value)) {
    const bad = [...new Set([...value].filter((c) => !/[A-Za-z0-9_-]/.test(c)))]
      .map((c) => (c.trim() === "" ? JSON.stringify(c) : `'${c}'`))
      .join(", ");
    throw new InvalidArgumentError(`${kind} ${JSON.stringify(value)} contains ${bad}; only ${ALLOWED_ID_CHARS} are allowed`);
  }
  return value;
}

export const validateWorkflowId = (id: string) => validateToken("workflow id", id);
export const validateQueue = (queue: string) => validateToken("queue name", queue);

export function newWorkflowId(workflowType: string): string {
  const safeType = workflowType.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 60) || "workflow";
  return `${safeType}-${crypto.randomUUID().slice(0, 8)}`;
}
