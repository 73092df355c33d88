import { assertEquals } from "../tests/_assert.ts";
import { bufferOrigin, originFromStreams } from "./stream.ts";

Deno.test("bufferOrigin() serves its input in chunks and collects output", async () => {
  const o = bufferOrigin(new Uint8Array([1, 2, 3]), { chunk: 2 });
  assertEquals(await o.read(10), new Uint8Array([1, 2]));
  assertEquals(await o.read(10), new Uint8Array([3]));
  assertEquals(await o.read(10), null);
  await o.write(new Uint8Array([4]));
  await o.write(new Uint8Array([5]));
  assertEquals(o.output, new Uint8Array([4, 5]));
  await o.closeWrite();
  assertEquals(o.writeClosed, true);
});

Deno.test("originFromStreams() splits chunks at max and reports end of input", async () => {
  const readable = ReadableStream.from([new Uint8Array([1, 2, 3]), new Uint8Array([4])]);
  const written: Uint8Array[] = [];
  const writable = new WritableStream<Uint8Array>({ write: (c) => void written.push(c) });
  const o = originFromStreams(readable, writable);
  assertEquals(await o.read(2), new Uint8Array([1, 2]));
  assertEquals(await o.read(2), new Uint8Array([3]));
  assertEquals(await o.read(2), new Uint8Array([4]));
  assertEquals(await o.read(2), null);
  assertEquals(await o.read(2), null);
  await o.write(new Uint8Array([9]));
  await o.closeWrite!();
  assertEquals(written, [new Uint8Array([9])]);
  await o.close!();
});

Deno.test("originFromStreams() with null streams is empty input and discarded output", async () => {
  const o = originFromStreams(null, null);
  assertEquals(await o.read(1), null);
  await o.write(new Uint8Array([1]));
  await o.close!();
});
