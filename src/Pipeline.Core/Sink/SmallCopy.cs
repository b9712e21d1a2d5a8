using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Pipeline.Sink;

/// <summary>
/// Copies of the short values the projection and the Parquet writer move one by one (ids, ARNs, names: mostly 16 to
/// 64 bytes), done in place with overlapping 16-byte loads and stores instead of a call to <c>Memmove</c>, whose call
/// and size dispatch cost more than the copy at these sizes.
/// </summary>
internal static class SmallCopy
{
    /// <summary>Copies <paramref name="source"/> to the start of <paramref name="destination"/>, which must be at least as long.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void To(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var n = source.Length;
        if (!Vector128.IsHardwareAccelerated || n < Vector128<byte>.Count || n > 4 * Vector128<byte>.Count || destination.Length < n)
        {
            source.CopyTo(destination);
            return;
        }

        ref var from = ref MemoryMarshal.GetReference(source);
        ref var to = ref MemoryMarshal.GetReference(destination);
        var last = (nuint)(n - Vector128<byte>.Count);

        // Every load happens before any store, so overlapping source and destination would still copy correctly.
        var head = Vector128.LoadUnsafe(ref from);
        var tail = Vector128.LoadUnsafe(ref from, last);
        if (n > 2 * Vector128<byte>.Count)
        {
            var second = Vector128.LoadUnsafe(ref from, (nuint)Vector128<byte>.Count);
            var third = Vector128.LoadUnsafe(ref from, last - (nuint)Vector128<byte>.Count);
            second.StoreUnsafe(ref to, (nuint)Vector128<byte>.Count);
            third.StoreUnsafe(ref to, last - (nuint)Vector128<byte>.Count);
        }

        head.StoreUnsafe(ref to);
        tail.StoreUnsafe(ref to, last);
    }
}
