using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Pipeline.Sink;

/// <summary>
/// Asks the processor to start loading memory that will be read shortly (x86 <c>prefetcht0</c>; nothing where it is
/// missing). The Parquet writer reads each column of its rows in key order, so every value it reads is somewhere else
/// in the batches' memory; requesting the values a few rows ahead lets those loads overlap instead of waiting for
/// each one in turn.
/// </summary>
/// <remarks>
/// A prefetch is only a hint: it never faults and changes no result. The addresses are computed from the array
/// reference without reading the array itself (reading its length would wait for the very load being requested);
/// that relies on the runtime's array layout (method table pointer, then the length padded to a pointer's size,
/// then the elements). If the layout were different, or the array moved in between, the hint would just be useless.
/// </remarks>
internal static class CachePrefetch
{
    /// <summary>Requests the array's header (its length is checked on every access) and its bytes
    /// [<paramref name="byteOffset"/>, <paramref name="byteOffset"/> + <paramref name="length"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void HeaderAndRange<T>(T[] array, nint byteOffset, int length)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        var header = Unsafe.As<T[], nint>(ref array);
        var start = header + (2 * IntPtr.Size) + byteOffset;
        Sse.Prefetch0((void*)header);
        Sse.Prefetch0((void*)start);
        if (length > 64)
        {
            Sse.Prefetch0((void*)(start + length - 1));
        }
    }
}
