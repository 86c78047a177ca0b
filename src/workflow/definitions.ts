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
  const names = splitTopLevel(parameterList(withoutComments(Function.prototype.toString.call(fn))))
    .map(parameterName)
    .filter((name) => name.length > 0);
  return skipFirst ? names.slice(1) : names;
}

/** The text between the parentheses of the parameter list, or a lone arrow parameter. */
function parameterList(source: string): string {
  const open = indexOutsideStrings(source, "(");
  const arrow = indexOutsideStrings(source, "=>");
  if (arrow >= 0 && (open < 0 || arrow < open)) return source.slice(0, arrow).replace(/^\s*async\s+/, "");
  if (open < 0) return "";
  let depth = 0;
  let end = source.length;
  scan(source.slice(open), (c, i) => {
    if (c === "(") depth++;
    else if (c === ")" && --depth === 0) {
      end = open + i;
      return true;
    }
    return false;
  });
  return source.slice(open + 1, end);
}

/** A parameter's name: its identifier, or its destructuring pattern spaced one way. */
function parameterName(parameter: string): string {
  const text = parameter.trim().replace(/^\.\.\./, "");
  if (text.startsWith("{") || text.startsWith("[")) {
    const pattern = text.slice(0, closingIndex(text) + 1).replace(/\s+/g, "");
    return pattern.replace(/,/g, ", ").replace(/^([{[])/, "$1 ").replace(/([}\]])$/, " $1");
  }
  return /^[A-Za-z_$][\w$]*/.exec(text)?.[0] ?? "";
}

function closingIndex(text: string): number {
  let depth = 0;
  let end = text.length - 1;
  scan(text, (c, i) => {
    if ("([{".includes(c)) depth++;
    else if (")]}".includes(c) && --depth === 0) {
      end = i;
      return true;
    }
    return false;
  });
  return end;
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  scan(text, (c, i) => {
    if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
    else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
    return false;
  });
  parts.push(text.slice(start));
  return parts;
}

function indexOutsideStrings(text: string, needle: string): number {
  let found = -1;
  scan(text, (_c, i) => {
    if (text.startsWith(needle, i)) found = i;
    return found >= 0;
  });
  return found;
}

function withoutComments(source: string): string {
  let out = "";
  let quote: string | undefined;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (quote) {
      if (c === "\\") out += source[i++];
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === "`") quote = c;
    else if (source.startsWith("/*", i) || source.startsWith("//", i)) {
      const end = source[i + 1] === "*" ? source.indexOf("*/", i + 2) + 1 : source.indexOf("\n", i) - 1;
      i = end <= 0 ? source.length : end;
      out += " ";
      continue;
    }
    out += c;
  }
  return out;
}

/** Calls `visit` for each character outside string literals until it returns true. */
function scan(text: string, visit: (c: string, i: number) => boolean): void {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"' || c === "`") {
      quote = c;
      continue;
    }
    if (visit(c, i)) return;
  }
}
