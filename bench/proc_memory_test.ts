import { assertEquals, assertThrows } from "../tests/_assert.ts";
import {
  kernelDelta,
  kernelKib,
  linearMemory,
  parseKibFields,
  parseRollup,
  parseSmaps,
  splitHeadOutput,
  sumMemory,
} from "./proc_memory.ts";

const MEMINFO = `MemTotal:       24596044 kB
Slab:             255256 kB
SReclaimable:     221484 kB
SUnreclaim:        33772 kB
KernelStack:        1716 kB
PageTables:         5044 kB
SecPageTables:         0 kB
Percpu:             2136 kB
HugePages_Total:       0
`;

Deno.test("parseKibFields() reads kB lines and skips the others", () => {
  const f = parseKibFields(MEMINFO);
  assertEquals(f.MemTotal, 24596044);
  assertEquals(f.SUnreclaim, 33772);
  assertEquals(f.HugePages_Total, undefined);
});

Deno.test("kernelKib() sums slab, stacks, page tables and per-CPU memory", () => {
  const k = kernelKib(MEMINFO);
  assertEquals(k.total, 221484 + 33772 + 1716 + 5044 + 0 + 2136);
  assertEquals(k.fields.KernelStack, 1716);
  const after = kernelKib(MEMINFO.replace("KernelStack:        1716", "KernelStack:        1816"));
  assertEquals(kernelDelta(k, after).total, 100);
  assertEquals(kernelDelta(k, after).fields.KernelStack, 100);
  assertEquals(kernelDelta(k, after).fields.PageTables, 0);
});

Deno.test("parseRollup() reads Rss and Pss, and throws without them", () => {
  const text = `55d0c0000000-7ffd00000000 ---p 00000000 00:00 0    [rollup]
Rss:                1024 kB
Pss:                 300 kB
Pss_Anon:            200 kB
`;
  assertEquals(parseRollup(text), { rssKib: 1024, pssKib: 300 });
  assertThrows(() => parseRollup("Rss: 1 kB\n"), SyntaxError);
});

Deno.test("parseSmaps() splits mappings with their sizes", () => {
  const text = `7f0000000000-7f0200000000 rw-p 00000000 00:00 0 
Size:            8388608 kB
Rss:                  64 kB
Pss:                  64 kB
7f0300000000-7f0300001000 r-xp 00000000 00:01 123                        /memfd:image (deleted)
Size:                  4 kB
Rss:                   4 kB
Pss:                   2 kB
VmFlags: rd ex mr mw me
`;
  assertEquals(parseSmaps(text), [
    {
      start: 0x7f0000000000,
      end: 0x7f0200000000,
      perms: "rw-p",
      name: "",
      sizeKib: 8388608,
      rssKib: 64,
      pssKib: 64,
    },
    {
      start: 0x7f0300000000,
      end: 0x7f0300001000,
      perms: "r-xp",
      name: "/memfd:image (deleted)",
      sizeKib: 4,
      rssKib: 4,
      pssKib: 2,
    },
  ]);
});

Deno.test("linearMemory() finds the rw mapping just below the largest reservation", () => {
  const text = `77b900001000-77b910000000 rw-p 00000000 00:00 0 
Size:             262140 kB
Rss:                   0 kB
77bb00000000-77bb00020000 rw-p 00000000 00:00 0 
Size:                128 kB
Rss:                   4 kB
77bb00020000-7fbc00000000 ---p 00000000 00:00 0 
Size:           8594128768 kB
Rss:                   0 kB
7fbc654ff000-7fbc65501000 r--p 00031000 fe:00 338944 /usr/lib/ld.so
Size:                  8 kB
Rss:                   8 kB
`;
  const maps = parseSmaps(text);
  assertEquals(linearMemory(maps)?.rssKib, 4);
  assertEquals(linearMemory(maps)?.sizeKib, 128);
  assertEquals(linearMemory(maps.slice(2)), undefined);
  assertEquals(linearMemory([]), undefined);
});

Deno.test("sumMemory() adds resident and proportional sizes", () => {
  assertEquals(sumMemory([{ rssKib: 1, pssKib: 2 }, { rssKib: 3, pssKib: 4 }]), {
    rssKib: 4,
    pssKib: 6,
  });
  assertEquals(sumMemory([]), { rssKib: 0, pssKib: 0 });
});

Deno.test("splitHeadOutput() splits `head -v` output by file", () => {
  const text = "==> /proc/1/x <==\nRss: 1 kB\n\n==> /proc/2/x <==\nRss: 2 kB\n";
  const files = splitHeadOutput(text);
  assertEquals([...files.keys()], ["/proc/1/x", "/proc/2/x"]);
  assertEquals(files.get("/proc/1/x"), "Rss: 1 kB\n");
  assertEquals(files.get("/proc/2/x"), "Rss: 2 kB\n");
  assertEquals(splitHeadOutput("").size, 0);
});
