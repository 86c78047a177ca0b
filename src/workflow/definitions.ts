import type { ActivityOptionsInput } from "../common/options.ts";
import type { ActivityFunction, WorkflowContext } from "./context.ts";

export type { ActivityFunction } from "./context.ts";

/**
 * A workflow: an async function whose first parameter is its context. (`never[]` by default so
 * that any parameter list fits; dfut passes the recorded JSON arguments.)
 */
export type WorkflowFunction<A extends unknown[] = never[], R = unknown> = (ctx: WorkflowContext, ...args: A) => Promise<R>;

const KIND = Symbol.for("dfut.kind");
const NAME = Symbol.for("dfut.name");
const OPTIONS = Symbol.for("dfut.activityOptions");

interface Marked {
  [KIND]?: "workflow" | "activity";
  [NAME]?: string;
  [OPTIONS]?: ActivityOptionsInput;
}

/** Marks a function as a workflow, optionally under another name than its own. */
export function defineWorkflow<F extends WorkflowFunction>(fn: F, options: { name?: string } = {}): F {
  const marked = fn as F & Marked;
  marked[KIND] = "workflow";
  if (options.name) marked[NAME] = options.name;
  return fn;
}

/** Marks a function as an activity, with default options for every call of it. */
export function defineActivity<F extends ActivityFunction>(fn: F, options: ActivityOptionsInput & { name?: string } = {}): F {
  const marked = fn as F & Marked;
  const { name, ...activityOptions } = options;
  marked[KIND] = "activity";
  if (name) marked[NAME] = name;
  marked[OPTIONS] = activityOptions;
  return fn;
}

export function markedKind(fn: unknown): "workflow" | "activity" | undefined {
  return typeof fn === "function" ? (fn as Marked)[KIND] : undefined;
}

export function nameOf(fn: Function): string {
  return (fn as Marked)[NAME] ?? fn.name;
}

export function activityDefaults(fn: Function): ActivityOptionsInput | undefined {
  return (fn as Marked)[OPTIONS];
}

/** Parameter names of a function, read from its source, for forms and help texts. */
export function parameterNames(fn: Function, skipFirst: boolean): string[] {
  const source = Function.prototype.toString.call(fn);
  const open = source.indexOf("(");
  let depth = 0;
  let end = open;
  for (let i = open; i < source.length; i++) {
    if (source[i] === "(") depth++;
    else if (source[i] === ")" && --depth === 0) {
      end = i;
      break;
    }
  }
  const inner = open >= 0 ? source.slice(open + 1, end) : source.split("=>")[0];
  const names = splitTopLevel(inner)
    .map((p) => p.trim().replace(/^\.\.\./, "").split(/[=:\s]/)[0].trim())
    .filter((p) => p.length > 0);
  return skipFirst ? names.slice(1) : names;
}

function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const c of s) {
    if ("([{".includes(c)) depth++;
    if (")]}".includes(c)) depth--;
    if (c === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += c;
  }
  parts.push(current);
  return parts;
}
