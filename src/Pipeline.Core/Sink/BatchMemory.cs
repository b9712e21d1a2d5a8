using System.Collections.Concurrent;

namespace Pipeline.Sink;

/// <summary>
/// The fixed-size pieces every <see cref="KmsEventBatch"/> is built from: row blocks (<see cref="RowBlock.Rows"/>
/// rows of every column) and text chunks (<see cref="ChunkBytes"/> bytes of UTF-8). A batch takes pieces as it
/// grows and gives them back when its rows are written, so in steady state ingest allocates no new row or text
/// storage at all: memory stays at what the sink buffers plus this pool, whatever the number or size of the files.
/// (Growing per-batch arrays by doubling, which this replaces, turned every source file into megabytes of garbage
/// that lived long enough to reach generation 2, and the GC kept the process at several times the live data.)
/// The pool is bounded: pieces beyond <see cref="MaxPooledBytes"/> are left to the GC.
/// </summary>
internal static class BatchMemory
{
    /// <summary>Size of a text chunk; a single value larger than this gets its own array.</summary>
    public const int ChunkBytes = 32 * 1024;

    /// <summary>What the pool keeps for reuse at most: about what a sink holds between flushes.</summary>
    public const long MaxPooledBytes = 24L * 1024 * 1024;

    private static readonly ConcurrentQueue<byte[]> Chunks = new();
    private static readonly ConcurrentQueue<RowBlock> Blocks = new();
    private static long _pooledBytes;

    public static byte[] RentChunk()
    {
        if (Chunks.TryDequeue(out var chunk))
        {
            Interlocked.Add(ref _pooledBytes, -ChunkBytes);
            return chunk;
        }

        // Every byte of a chunk is written before it is read, so it need not be zeroed.
        return GC.AllocateUninitializedArray<byte>(ChunkBytes);
    }

    public static void ReturnChunk(byte[] chunk)
    {
        if (chunk.Length != ChunkBytes || !TryReserve(ChunkBytes))
        {
            return;
        }

        Chunks.Enqueue(chunk);
    }

    public static RowBlock RentBlock()
    {
        if (Blocks.TryDequeue(out var block))
        {
            Interlocked.Add(ref _pooledBytes, -RowBlock.Bytes);
            return block;
        }

        return new RowBlock();
    }

    public static void ReturnBlock(RowBlock block)
    {
        if (TryReserve(RowBlock.Bytes))
        {
            Blocks.Enqueue(block);
        }
    }

    private static bool TryReserve(long bytes)
    {
        if (Interlocked.Add(ref _pooledBytes, bytes) <= MaxPooledBytes)
        {
            return true;
        }

        Interlocked.Add(ref _pooledBytes, -bytes);
        return false;
    }
}

/// <summary>
/// <see cref="Rows"/> consecutive rows of a batch, every column, column-major (cell <c>[column * Rows + row]</c>).
/// Each array stays below the large-object threshold, so pooled blocks live in generation 2 and are never copied.
/// </summary>
internal sealed class RowBlock
{
    public const int Shift = 5;
    public const int Rows = 1 << Shift;
    public const int Mask = Rows - 1;

    /// <summary>Approximate memory of one block: its five arrays with headers.</summary>
    public const int Bytes =
        (Rows * ((KmsSchema.StringCount * 12) + (KmsSchema.TimestampCount * 8) + (KmsSchema.BooleanCount * 2) + (KmsSchema.Int32Count * 8) + sizeof(int)))
        + (6 * 32);

    public readonly StringRef[] Strings = new StringRef[KmsSchema.StringCount * Rows];
    public readonly DateTime[] Timestamps = new DateTime[KmsSchema.TimestampCount * Rows];
    public readonly bool?[] Booleans = new bool?[KmsSchema.BooleanCount * Rows];
    public readonly int?[] Int32s = new int?[KmsSchema.Int32Count * Rows];
    public readonly int[] EventDay = new int[Rows];
}
