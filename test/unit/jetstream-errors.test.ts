import { JetStreamApiError } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { isAlreadyExists, isNotFound, isWrongLastSequence } from "../../src/common/jetstream-errors.ts";

const apiError = (code: number, errCode: number, description: string) => new JetStreamApiError({ code, err_code: errCode, description });

describe("isWrongLastSequence", () => {
  it("recognises both wrong-last-sequence codes of the server, whatever the text", () => {
    expect(isWrongLastSequence(apiError(400, 10071, "anything"))).toBe(true);
    expect(isWrongLastSequence(apiError(400, 10164, "anything"))).toBe(true);
    expect(isWrongLastSequence(apiError(400, 10059, "wrong last sequence"))).toBe(false);
  });

  it("reads the KV client's plain errors by their text", () => {
    expect(isWrongLastSequence(new Error("wrong last sequence: 5"))).toBe(true);
    expect(isWrongLastSequence(new Error("key exists"))).toBe(true);
    expect(isWrongLastSequence(new Error("timeout"))).toBe(false);
    expect(isWrongLastSequence(undefined)).toBe(false);
  });
});

describe("isNotFound", () => {
  it("recognises a missing stream or consumer by code or status", () => {
    expect(isNotFound(apiError(404, 10059, "stream not found"))).toBe(true);
    expect(isNotFound(apiError(404, 10014, "consumer not found"))).toBe(true);
    expect(isNotFound(apiError(404, 1, "whatever"))).toBe(true);
    expect(isNotFound(apiError(400, 10071, "not found in the text only"))).toBe(false);
  });

  it("reads other errors by their text", () => {
    expect(isNotFound(new Error("stream not found"))).toBe(true);
    expect(isNotFound(new Error("permission denied"))).toBe(false);
  });
});

describe("isAlreadyExists", () => {
  it("recognises a consumer created first by another process", () => {
    expect(isAlreadyExists(apiError(400, 10148, "consumer already exists"))).toBe(true);
    expect(isAlreadyExists(apiError(400, 10013, "consumer name already in use"))).toBe(true);
    expect(isAlreadyExists(apiError(400, 10071, "already exists"))).toBe(false);
    expect(isAlreadyExists(new Error("consumer name already in use"))).toBe(true);
    expect(isAlreadyExists(new Error("no"))).toBe(false);
  });
});
