#!/usr/bin/env python3
"""Splits a `perf` profile of one pipeline process into the stages of the ingest path.

The container build is one ReadyToRun composite image (pipeline.r2r.dll); perf cannot name the methods in it, so the
build is published with `-p:PublishReadyToRunEmitSymbols=true`, which writes pipeline.r2r.ni.r2rmap (RVA, size,
method per line), and this script resolves the addresses itself. Code the runtime compiles at run time (methods the
precompiler left out, e.g. those using AVX-512) is named by the runtime's perf map (DOTNET_PerfMapEnabled=1).

  DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 perf record -F 999 -g -o perf.data -- \
      /tmp/pipeline-sym/pipeline ingest /tmp/arch1g --out /dev/shm/ing
  perf script -i perf.data -F comm,pid,ip,sym,dso > perf.txt
  python3 benchmarks/profile/stages.py perf.txt /tmp/pipeline-sym/pipeline.r2r.ni.r2rmap [pid] [--top N]

Each sample goes to the stage of the innermost method on its stack that belongs to one (see classify), so a stage
includes what it calls (Utf8JsonReader under the KMS parse, memcpy under the page writer). Prints seconds at the
sampling frequency given with --freq (default 999).
"""
import argparse
import bisect
import collections
import re

# (stage, test on the leaf's object file, method-name fragments anywhere on the stack)
STAGES = [
    ("inflate (zlib-ng)", "Compression.Native", ()),
    ("JIT", "libclrjit", ()),
    ("Parquet: zstd", None, ("ZstdSharp.",)),
    ("Parquet: dictionaries", None, ("KmsParquetFileWriter::TryBuildDictionary", "StringDictionary::")),
    ("Parquet: sort and group rows", None, ("RowRefComparer::", "ArraySortHelper", "RowRef::ByDay")),
    ("ledger: lookups and markers", None, ("ProcessedObjectLedger", "HardLink::", "LocalDatasetStore::WriteLinesAsync",
                                           "LocalDatasetStore::ReadTextAsync", "SourceIdentity::")),
    ("walk: listing, file sizes and times", None, ("LocalArchiveWalker",)),
    ("opening and closing files", None, ("FileStream::.ctor", "FileStream::DisposeAsync", "SafeFileHandle::Open")),
    ("gathering small sources' rows", None, ("DatasetSink::Gather", "KmsEventBatch::AppendRowsOf")),
    ("Parquet: pages, statistics, file", None, ("KmsParquetFileWriter", "ParquetPartitionWriter", "StagedFile", "DatasetSink")),
    ("projection into the batch", None, ("KmsRowProjector::", "KmsEventBatch::")),
    ("KMS record parse", None, ("KmsRecordParser::", "KmsRecordScanner")),
    ("KMS text filter and UTF-8 check", None, ("KmsRecordCollector::OnRecord",)),
    ("pre-scan (record boundaries)", None, ("CloudTrailRecordReader", "JsonStructure::")),
    ("start-up and warm-up", None, ("ReadPathWarmup", "CliLogging", "Program::")),
    ("runtime (GC, stubs)", "libcoreclr", ()),
    ("kernel", "kallsyms", ()),
]

def classify(frames):
    """The stage of one sample (frames leaf first): the inflate and JIT leaves first; then the innermost frame whose
    method belongs to a stage, so that a read continued inside another stage's async frame (a file read after
    DatasetSink.AddAsync resumed) is still a read; then the runtime and kernel leaves. Names are matched without their
    parameter lists, so a parameter's type (ReadFileAsync(..., DatasetSink, ...)) does not place a frame."""
    leaf_dso = frames[0][0]
    fragment_stages = [(stage, fragments) for stage, _, fragments in STAGES if fragments]
    leading = [(stage, dso) for stage, dso, _ in STAGES[:2]]
    trailing = [(stage, dso) for stage, dso, fragments in STAGES[2:] if dso]
    for stage, dso in leading:
        if dso in leaf_dso:
            return stage
    for _, name in frames:
        method_name = name.split("(", 1)[0]
        for stage, fragments in fragment_stages:
            if any(fr in method_name for fr in fragments):
                return stage
    for stage, dso in trailing:
        if dso in leaf_dso:
            return stage
    return "other"


FRAME = re.compile(r"^\s*([0-9a-f]+) (.*) \((.*)\)$")


def load_r2rmap(path):
    entries = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 2)
            if len(parts) < 3:
                continue
            rva, size = int(parts[0], 16), int(parts[1], 16)
            if rva >= 0xF0000000:  # header lines (signature, version)
                continue
            entries.append((rva, size, parts[2]))
    entries.sort()
    return [e[0] for e in entries], entries


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("perf_script")
    ap.add_argument("r2rmap")
    ap.add_argument("pid", nargs="?", help="process id (default: the one with most samples)")
    ap.add_argument("--freq", type=float, default=999.0)
    ap.add_argument("--top", type=int, default=0, help="also list the N hottest leaf methods")
    ap.add_argument("--detail", type=int, default=0, help="also list the N hottest leaf methods of each stage")
    ap.add_argument("--text-rva-delta", type=lambda s: int(s, 0), default=0x10000,
                    help="RVA minus file offset of .text in the composite image (0x10000 for crossgen2 on Linux)")
    args = ap.parse_args()

    starts, entries = load_r2rmap(args.r2rmap)

    def method(offset):
        rva = offset + args.text_rva_delta
        i = bisect.bisect_right(starts, rva) - 1
        if i >= 0 and rva < entries[i][0] + entries[i][1] + 16:
            return entries[i][2]
        return "?"

    with open(args.perf_script, encoding="utf-8", errors="replace") as f:
        samples = [s for s in f.read().split("\n\n") if s.strip()]

    parsed = collections.defaultdict(list)
    for s in samples:
        lines = s.strip().split("\n")
        pid = lines[0].split()[-1]
        frames = []
        for line in lines[1:]:
            m = FRAME.match(line)
            if not m:
                continue
            dso = m.group(3)
            name = method(int(m.group(1), 16)) if dso.endswith(".r2r.dll") else m.group(2)
            frames.append((dso, name))
        if frames:
            parsed[pid].append(frames)

    pid = args.pid or max(parsed, key=lambda p: len(parsed[p]))
    stages = collections.Counter()
    leaves = collections.Counter()
    stage_leaves = collections.defaultdict(collections.Counter)
    for frames in parsed[pid]:
        stage = classify(frames)
        stages[stage] += 1
        stage_leaves[stage][frames[0][1][:140]] += 1
        leaves[frames[0][1][:140]] += 1

    total = len(parsed[pid])
    print(f"pid {pid}: {total} samples = {total / args.freq:.2f} s at {args.freq:g} Hz")
    for stage, n in stages.most_common():
        print(f"{100 * n / total:5.1f} %  {n / args.freq:5.2f} s  {stage}")
    if args.top:
        print()
        for name, n in leaves.most_common(args.top):
            print(f"{100 * n / total:5.1f} %  {name}")
    if args.detail:
        for stage, n in stages.most_common():
            print(f"\n{stage}: {n / args.freq:.2f} s")
            for name, m in stage_leaves[stage].most_common(args.detail):
                print(f"  {100 * m / total:5.1f} %  {name}")


if __name__ == "__main__":
    main()
