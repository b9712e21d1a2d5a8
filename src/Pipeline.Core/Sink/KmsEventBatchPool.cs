using System.Collections.Concurrent;

namespace Pipeline.Sink;

/// <summary>
/// Recycles the column arrays of batches: every source object gets a batch, and without reuse each one grows its
/// 50-odd arrays from scratch and leaves them as garbage (about 4 KB per row read). Bounded in count and in the size
/// of what it keeps, so an unusually large batch is left to the GC instead of being held.
/// </summary>
internal static class KmsEventBatchPool
{
    private const int MaxPooled = 8;
    private const int MaxPooledCapacity = 1024; // ~0.6 MB of row arrays: the sink counts them as held memory
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
        // Text chunks go back to the shared array pool either way; only the row arrays are kept here.
        batch.Release();
        if (batch.Capacity > MaxPooledCapacity)
        {
            return;
        }

        if (Interlocked.Increment(ref _free) > MaxPooled)
        {
            Interlocked.Decrement(ref _free);
            return;
        }

        Free.Enqueue(batch);
    }
}
