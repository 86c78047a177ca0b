/** Reading a request body without ever holding more than the cap. */
import type { Readable } from "node:stream";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";

/** Room for a request's own fields around arguments that fill one NATS message. */
export const ENVELOPE_BYTES = 64 * 1024;

export const bodyLimit = (maxPayload: number) => maxPayload + ENVELOPE_BYTES;

export const COMPRESSIONS: readonly Compression[] = [compressionGzip, compressionBrotli];

/**
 * The body's bytes (of an http or http2 request), or undefined once it passed `limit`: reading
 * stops there (the request is paused, not drained), so the caller answers and closes the
 * connection, or the stream.
 */
export function readBody(req: Readable, limit: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      stop();
      req.pause();
      resolve(undefined);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      stop();
      reject(err);
    };
    const onClose = () => onError(new Error("the client closed the connection before the end of the request body"));
    req.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
  });
}

/** Decompresses at most `limit` bytes; undefined when there would be more. */
export async function decompress(bytes: Uint8Array, compression: Compression, limit: number): Promise<Uint8Array | undefined> {
  try {
    return await compression.decompress(bytes, limit);
  } catch (err) {
    if (err instanceof ConnectError && err.code === Code.ResourceExhausted) return undefined;
    throw err;
  }
}
