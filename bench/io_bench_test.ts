import { assert, assertEquals } from "../tests/_assert.ts";
import { benchIo, formatIoReport } from "./io_bench.ts";

Deno.test("benchIo() gives per-call microseconds and MB/s against the anchors", async () => {
  const options = { calls: 1000, callRounds: 3, bytes: 64e6, streamRounds: 2 };
  const report = await benchIo({
    gateCalls: (calls, rounds) => Promise.resolve(Array(rounds).fill(calls * 0.05)), // 50 us
    workerCalls: (calls, rounds) => Promise.resolve(Array(rounds).fill(calls * 0.02)), // 20 us
    gateStream: (_, rounds) => Promise.resolve([80, 100].slice(0, rounds)), // 800 and 640 MB/s
    pipeStream: () => Promise.resolve([50, 50]), // 1280 MB/s
  }, options);
  assertEquals(report.calls.gate.us.median, 50);
  assertEquals(report.calls.worker.us.median, 20);
  assertEquals(report.calls.gateVsWorker.median, 2.5);
  assertEquals(report.stream.gate.mbps.max, 800);
  assertEquals(report.stream.pipe.mbps.median, 1280);
  assertEquals(report.stream.gateVsPipe.max, 800 / 1280);
  const text = formatIoReport(report);
  assert(text.includes("2.50x (2.50-2.50)"), text);
  assert(text.includes("0.63x (0.50-0.63)") || text.includes("0.56x"), text);
});
