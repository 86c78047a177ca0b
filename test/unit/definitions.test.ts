import { describe, expect, it } from "vitest";
import type { WorkflowContext } from "../../src/workflow/context.ts";
import {
  activityDefaults,
  defineActivity,
  defineWorkflow,
  markedKind,
  nameOf,
  parameterNames,
} from "../../src/workflow/definitions.ts";
import { fromSource } from "./support.ts";

// Most cases build the function from its source text: the worker reads user modules that amaro
// only strips of types (comments and spacing stay), while vitest's own transform would reprint them.
const names = (source: string, skipFirst = false) => parameterNames(fromSource(source), skipFirst);

describe("parameterNames", () => {
  it("reads the parameters of plain and async functions", () => {
    expect(names("function add(a, b) { return a + b; }")).toEqual(["a", "b"]);
    expect(names("async function charge(customerId, amount) {}")).toEqual(["customerId", "amount"]);
    expect(names("async function* pages(cursor) {}")).toEqual(["cursor"]);
    expect(names("function none() {}")).toEqual([]);
  });

  it("reads the parameters of arrow functions with parentheses", () => {
    expect(names("(a, b) => a + b")).toEqual(["a", "b"]);
    expect(names("async (id, count) => id")).toEqual(["id", "count"]);
    expect(names("() => 1")).toEqual([]);
    expect(names("x => x")).toEqual(["x"]);
  });

  it("keeps the name of a parameter with a default, however nested the default is", () => {
    expect(names("function f(a = 1, b = { x: [1, 2], y: g(3, 4) }, c) {}")).toEqual(["a", "b", "c"]);
    expect(names("async (retries = Math.max(1, 2), label = `x`) => retries")).toEqual(["retries", "label"]);
  });

  it("names a rest parameter without its dots", () => {
    expect(names("function f(first, ...rest) {}")).toEqual(["first", "rest"]);
  });

  it("ignores type-stripped whitespace and comments after a name", () => {
    // What amaro leaves of `(ctx: WorkflowContext, id: string)`: the types become spaces.
    expect(names("async function W(ctx                 , id        ) {}")).toEqual(["ctx", "id"]);
    expect(names("function f(a /* the id */, b // a note\n) {}")).toEqual(["a", "b"]);
  });

  it("counts a destructured parameter as one parameter", () => {
    expect(names("function f({ a, b }, [c, d], e) {}")).toHaveLength(3);
    expect(names("function f({ a, b }, [c, d], e) {}")[2]).toBe("e");
  });

  it("skips the ctx parameter of a workflow", () => {
    expect(names("async function OrderWorkflow(ctx, customerId, amount) {}", true)).toEqual(["customerId", "amount"]);
    expect(names("async (ctx) => 1", true)).toEqual([]);
  });

  it("reads a compiled TypeScript workflow", () => {
    async function OrderWorkflow(ctx: WorkflowContext, customerId: string, quantity = 1): Promise<string> {
      return `${ctx.workflowId}:${customerId}:${quantity}`;
    }
    expect(parameterNames(OrderWorkflow, true)).toEqual(["customerId", "quantity"]);
  });

  // Bug: a single parameter without parentheses is read from the first "(" anywhere in the
  // source, which is in the body, or from the text before "=>", which still has `async`.
  it("reads an arrow function's lone parameter written without parentheses", () => {
    expect(names("async id => id")).toEqual(["id"]);
    expect(names("id => lookup(id, 2)")).toEqual(["id"]);
  });

  // Bug: the name is the text up to the first space, so a comment before it becomes the name "/*".
  it("ignores a comment before a parameter's name", () => {
    expect(names("function f(/* customer */ id, amount) {}")).toEqual(["id", "amount"]);
  });

  // Bug: the split on commas and the bracket depth do not know about string literals, so a
  // default value holding a comma or a parenthesis cuts the parameter list in the wrong place.
  it("keeps a default string that holds a comma or a parenthesis in one parameter", () => {
    expect(names("function greet(greeting = 'Hello, world', name) {}")).toEqual(["greeting", "name"]);
    expect(names("function wrap(open = '(', close = ')') {}")).toEqual(["open", "close"]);
  });

  // Bug: a destructured parameter is "named" by whatever comes before the first space: "{" for
  // `{ a, b }`, "{a,b}" for `{a,b}`, "[c," for `[c, d]`, so the same code spaced differently
  // shows another name in forms and help texts.
  it("names a destructured parameter the same however it is spaced", () => {
    expect(names("function f({ a, b }) {}")).toEqual(names("function f({a,b}) {}"));
  });
});

describe("nameOf and the marks of defineWorkflow/defineActivity", () => {
  it("uses the function's own name when it is not marked", () => {
    async function ShipPackageActivity() {}
    expect(nameOf(ShipPackageActivity)).toBe("ShipPackageActivity");
    expect(markedKind(ShipPackageActivity)).toBeUndefined();
    expect(activityDefaults(ShipPackageActivity)).toBeUndefined();
  });

  it("marks a workflow, under another name when given one", () => {
    const named = defineWorkflow(async function Impl(_ctx: WorkflowContext) {}, { name: "Billing" });
    expect(markedKind(named)).toBe("workflow");
    expect(nameOf(named)).toBe("Billing");

    const plain = defineWorkflow(async function Plain(_ctx: WorkflowContext) {});
    expect(markedKind(plain)).toBe("workflow");
    expect(nameOf(plain)).toBe("Plain");
    // An empty name is no name.
    expect(nameOf(defineWorkflow(async function Kept(_ctx: WorkflowContext) {}, { name: "" }))).toBe("Kept");
  });

  it("returns the very function it marks", () => {
    async function Same(_ctx: WorkflowContext) {
      return 42;
    }
    expect(defineWorkflow(Same)).toBe(Same);
  });

  it("marks an activity and keeps its options apart from its name", () => {
    const charge = defineActivity(async function charge(amount: number) {
      return amount;
    }, { name: "Charge", startToCloseTimeout: 5000, retry: { maximumAttempts: 3 } });
    expect(markedKind(charge)).toBe("activity");
    expect(nameOf(charge)).toBe("Charge");
    expect(activityDefaults(charge)).toEqual({ startToCloseTimeout: 5000, retry: { maximumAttempts: 3 } });
  });

  it("gives an activity marked without options empty defaults", () => {
    const ship = defineActivity(async function ship() {});
    expect(markedKind(ship)).toBe("activity");
    expect(nameOf(ship)).toBe("ship");
    expect(activityDefaults(ship)).toEqual({});
  });

  it("says nothing about a value that is not a function", () => {
    expect(markedKind("OrderWorkflow")).toBeUndefined();
    expect(markedKind({ name: "x" })).toBeUndefined();
    expect(markedKind(undefined)).toBeUndefined();
  });
});

describe("parameterNames with comment markers inside strings", () => {
  it("keeps a default URL whole", () => {
    expect(parameterNames(new Function("return function f(url = 'http://example.com/*x', next) {}")() as Function, false)).toEqual(["url", "next"]);
  });
});

describe("parameterNames with quotes inside comments", () => {
  it("reads past a comment that holds an apostrophe", () => {
    expect(parameterNames(new Function("return function f(/* it's the id */ id, amount) {}")() as Function, false)).toEqual(["id", "amount"]);
  });
});
