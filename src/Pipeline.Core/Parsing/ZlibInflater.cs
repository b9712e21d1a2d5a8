using System.Reflection;
using System.Runtime.InteropServices;

namespace Pipeline.Parsing;

/// <summary>
/// One gzip inflate state of zlib-ng, the library the .NET runtime ships for <c>System.IO.Compression</c>
/// (<c>System.IO.Compression.Native</c>), called directly through its exported C functions. <c>GZipStream</c> calls the
/// same functions but hands them at most 8 KB of compressed input per call, so every call returns ~32 KB and zlib then
/// copies that output into its 32 KB history window: in effect the whole decompressed stream is copied once more, and
/// each call ends in inflate's slow path. Fed 128 KB at a time into a large output buffer, the same code inflated
/// archive (a) in 0.75 CPU s instead of 0.87 (benchmarks/README.md, "Twenty-first session").
/// </summary>
/// <remarks>
/// The exports are the runtime's own and not a public API. <see cref="IsAvailable"/> looks them up once and inflates a
/// known member with them; when the library or any of the three functions is missing (another runtime, a single-file
/// bundle) or that member does not come out as expected, callers use <c>GZipStream</c> instead, which decodes the same
/// data identically, only slower.
/// </remarks>
internal sealed unsafe class ZlibInflater : SafeHandle
{
    /// <summary>windowBits for inflateInit2: a 32 KB window (15) with a gzip header and trailer (+16), nothing else.</summary>
    private const int GzipWindowBits = 16 + 15;

    private const int NoFlush = 0;
    private const int Ok = 0;
    private const int StreamEnd = 1;
    private const int NeedDictionary = 2;
    private const int DataError = -3;
    private const int MemoryError = -4;
    private const int BufferError = -5;

    // "kms.amazonaws.com" as Python's gzip module writes it (one fixed-Huffman block): the load-time self-test's input.
    private static ReadOnlySpan<byte> SelfTestGzip =>
    [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xff, 0xcb, 0xce, 0x2d, 0xd6, 0x4b, 0xcc, 0x4d, 0xac, 0xca,
        0xcf, 0x4b, 0x2c, 0x2f, 0xd6, 0x4b, 0xce, 0xcf, 0x05, 0x00, 0x5c, 0x09, 0xc9, 0x23, 0x11, 0x00, 0x00, 0x00,
    ];

    private static ReadOnlySpan<byte> SelfTestText => "kms.amazonaws.com"u8;

    private static readonly Exports? Native = Exports.Load();

    private ZlibInflater()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    /// <summary>Whether the runtime's zlib and the three functions used here were found.</summary>
    public static bool IsAvailable => Native is not null;

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>A state ready to read one gzip member, its header first.</summary>
    public static ZlibInflater CreateForGzip()
    {
        var native = Native ?? throw new InvalidOperationException("the runtime's zlib was not found; use GZipStream");
        var inflater = new ZlibInflater();
        var stream = (ZStream*)NativeMemory.AllocZeroed((nuint)sizeof(ZStream));
        var rc = native.InflateInit2(stream, GzipWindowBits);
        if (rc != Ok)
        {
            if (stream->InternalState != IntPtr.Zero)
            {
                native.InflateEnd(stream); // the runtime allocates its z_stream before zlib's init can fail
            }

            NativeMemory.Free(stream);
            throw rc == MemoryError ? new OutOfMemoryException("zlib could not allocate its inflate state") : new InvalidOperationException($"zlib's inflateInit2 failed with code {rc}");
        }

        inflater.SetHandle((IntPtr)stream);
        return inflater;
    }

    /// <summary>
    /// Inflates from <paramref name="input"/> into <paramref name="output"/> until one of them is used up or the member
    /// ends (its CRC-32 and length checked by zlib).
    /// </summary>
    /// <returns>Whether the member ended with this call.</returns>
    /// <exception cref="InvalidDataException">The data is not valid gzip or does not match its trailer.</exception>
    public bool Inflate(ReadOnlySpan<byte> input, Span<byte> output, out int consumed, out int produced)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        var referenced = false;
        int rc;
        ZStream* stream;
        try
        {
            // Held for the call: a Dispose on another thread then frees the state only after zlib is done with it.
            DangerousAddRef(ref referenced);
            stream = (ZStream*)handle;
            rc = Native!.Run(stream, input, output, out consumed, out produced);
        }
        finally
        {
            if (referenced)
            {
                DangerousRelease();
            }
        }

        switch (rc)
        {
            case Ok:
            case BufferError: // no progress was possible: the caller supplies more input
                return false;
            case StreamEnd:
                return true;
            case DataError:
            case NeedDictionary:
                throw new InvalidDataException($"the gzip data is invalid ({Message(stream) ?? "zlib data error"})");
            case MemoryError:
                throw new OutOfMemoryException("zlib ran out of memory while inflating");
            default:
                throw new InvalidOperationException($"zlib's inflate failed with code {rc} ({Message(stream) ?? "no message"})");
        }
    }

    protected override bool ReleaseHandle()
    {
        var stream = (ZStream*)handle;
        Native!.InflateEnd(stream);
        NativeMemory.Free(stream);
        return true;
    }

    private static string? Message(ZStream* stream) => stream->Message == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(stream->Message);

    /// <summary>The runtime's <c>PAL_ZStream</c>: zlib's z_stream reduced to what callers set and read.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ZStream
    {
        public byte* NextIn;
        public byte* NextOut;
        public IntPtr Message;
        public IntPtr InternalState;
        public uint AvailIn;
        public uint AvailOut;
    }

    private sealed class Exports(
        delegate* unmanaged<ZStream*, int, int> inflateInit2,
        delegate* unmanaged<ZStream*, int, int> inflate,
        delegate* unmanaged<ZStream*, int> inflateEnd)
    {
        public readonly delegate* unmanaged<ZStream*, int, int> InflateInit2 = inflateInit2;

        public readonly delegate* unmanaged<ZStream*, int, int> Inflate = inflate;

        public readonly delegate* unmanaged<ZStream*, int> InflateEnd = inflateEnd;

        public static Exports? Load()
        {
            // The same name and probing as the runtime's own P/Invokes (lib prefix and .so/.dylib suffix added on Unix).
            if (!NativeLibrary.TryLoad("System.IO.Compression.Native", typeof(object).Assembly, DllImportSearchPath.AssemblyDirectory, out var library)
                && !NativeLibrary.TryLoad("System.IO.Compression.Native", Assembly.GetExecutingAssembly(), null, out library))
            {
                return null;
            }

            if (!NativeLibrary.TryGetExport(library, "CompressionNative_InflateInit2_", out var init)
                || !NativeLibrary.TryGetExport(library, "CompressionNative_Inflate", out var inflate)
                || !NativeLibrary.TryGetExport(library, "CompressionNative_InflateEnd", out var end))
            {
                return null;
            }

            var exports = new Exports(
                (delegate* unmanaged<ZStream*, int, int>)init,
                (delegate* unmanaged<ZStream*, int, int>)inflate,
                (delegate* unmanaged<ZStream*, int>)end);
            return exports.Decodes(SelfTestGzip, SelfTestText) ? exports : null;
        }

        /// <summary>One call of inflate from <paramref name="input"/> into <paramref name="output"/>; zlib's return code.</summary>
        public int Run(ZStream* stream, ReadOnlySpan<byte> input, Span<byte> output, out int consumed, out int produced)
        {
            int rc;
            fixed (byte* inPtr = input)
            fixed (byte* outPtr = output)
            {
                stream->NextIn = inPtr;
                stream->AvailIn = (uint)input.Length;
                stream->NextOut = outPtr;
                stream->AvailOut = (uint)output.Length;
                rc = Inflate(stream, NoFlush);
                consumed = input.Length - (int)stream->AvailIn;
                produced = output.Length - (int)stream->AvailOut;
                stream->NextIn = null; // nothing may point into the caller's buffers once they are unpinned
                stream->NextOut = null;
            }

            return rc;
        }

        /// <summary>
        /// Whether these functions inflate a known member to its known text: the exports are not a public API, and a
        /// runtime whose structure or behaviour differs from what this class assumes must not be trusted with real data.
        /// </summary>
        private bool Decodes(ReadOnlySpan<byte> gzip, ReadOnlySpan<byte> text)
        {
            var stream = (ZStream*)NativeMemory.AllocZeroed((nuint)sizeof(ZStream));
            try
            {
                if (InflateInit2(stream, GzipWindowBits) != Ok)
                {
                    return false;
                }

                Span<byte> output = stackalloc byte[64];
                var rc = Run(stream, gzip, output, out var consumed, out var produced);
                return rc == StreamEnd && consumed == gzip.Length && output[..produced].SequenceEqual(text);
            }
            finally
            {
                if (stream->InternalState != IntPtr.Zero)
                {
                    InflateEnd(stream);
                }

                NativeMemory.Free(stream);
            }
        }
    }
}
