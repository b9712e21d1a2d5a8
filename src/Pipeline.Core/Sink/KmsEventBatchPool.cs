using System.Collections.Concurrent;

namespace Pipeline.Sink;

/// <summary>
/// Recycles batch objects (each with its interner tables) for the next source objects. Their row blocks and text
/// chunks go back to <see cref="BatchMemory"/> when they are returned, so a pooled batch holds only its small fixed
/// part. Bounded in count.
/// </summary>
internal static class KmsEventBatchPool
{
    private const int MaxPooled = 256;
    private static readonly ConcurrentQueue<KmsEventBatch> Free = new();
    private static int _free;

    public static KmsEventBatch Rent()
    {
        if (Free.TryDequeue(out var batch))
        {
            Interlocked.Decrement(ref _free);
            return batch;
        }

        return new KmsEventBatch();
    }

    /// <summary>Takes back a batch whose rows are written (or abandoned); nothing may use it afterwards.</summary>
    public static void Return(KmsEventBatch batch)
    {
        // Row blocks and text chunks go back to the shared pool either way.
        batch.Release();
        if (Interlocked.Increment(ref _free) > MaxPooled)
        {
            Interlocked.Decrement(ref _free);
            return;
        }

        Free.Enqueue(batch);
    }
}
