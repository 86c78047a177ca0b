import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/common/errors.ts";
import { newWorkflowId, validateQueue, validateWorkflowId } from "../../src/common/ids.ts";
import { subjects, workflowIdFromTimerSubject } from "../../src/common/names.ts";
import { HistoryLayout } from "../../src/common/layout.ts";

describe("validateWorkflowId and validateQueue", () => {
  it("accept letters, digits, '-' and '_'", () => {
    expect(validateWorkflowId("order-42_B")).toBe("order-42_B");
    expect(validateQueue("default")).toBe("default");
  });

  it("refuse an empty or too long token", () => {
    expect(() => validateWorkflowId("")).toThrow(new InvalidArgumentError("workflow id must not be empty"));
    expect(() => validateQueue("q".repeat(201))).toThrow("queue name is 201 characters long; at most 200 are allowed");
    expect(validateWorkflowId("w".repeat(200))).toHaveLength(200);
  });

  it("name each character they refuse once, quoting whitespace as JSON", () => {
    expect(() => validateWorkflowId("a.b.c")).toThrow(`workflow id "a.b.c" contains '.'; only letters, digits, '-' and '_' are allowed`);
    expect(() => validateWorkflowId("a b\tc>")).toThrow(`workflow id "a b\\tc>" contains " ", "\\t", '>'; only letters, digits, '-' and '_' are allowed`);
    expect(() => validateQueue("né")).toThrow(`queue name "né" contains 'é'`);
  });
});

describe("newWorkflowId", () => {
  it("starts with the type, made safe, and ends with a random part", () => {
    expect(newWorkflowId("OrderWorkflow")).toMatch(/^OrderWorkflow-[0-9a-f]{8}$/);
    expect(newWorkflowId("Order Workflow!")).toMatch(/^Order_Workflow_-[0-9a-f]{8}$/);
    expect(newWorkflowId("")).toMatch(/^workflow-[0-9a-f]{8}$/);
    expect(newWorkflowId("x".repeat(100))).toMatch(/^x{60}-[0-9a-f]{8}$/);
    expect(newWorkflowId("A")).not.toBe(newWorkflowId("A"));
  });

  it("makes ids that pass validation", () => {
    expect(() => validateWorkflowId(newWorkflowId("Ünïcödé type/with.dots"))).not.toThrow();
  });
});

describe("subject names", () => {
  it("read the workflow back from a history subject, with one partition or several", () => {
    for (const layout of [new HistoryLayout(1), new HistoryLayout(3)]) expect(layout.workflowIdOf(layout.subject("order-42"))).toBe("order-42");
  });

  it("read the workflow back from a timer subject, and nothing from another subject", () => {
    expect(workflowIdFromTimerSubject(subjects.timer("order-42", 3))).toBe("order-42");
    expect(workflowIdFromTimerSubject("dfut.timer.order-42")).toBeUndefined();
    expect(workflowIdFromTimerSubject("dfut.task.workflow.default")).toBeUndefined();
  });
});
