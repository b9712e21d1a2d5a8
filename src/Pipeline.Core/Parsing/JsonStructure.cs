using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;

namespace Pipeline.Parsing;

/// <summary>Resumable state of <see cref="JsonStructure.TryFindContainerEnd"/> across buffer refills.</summary>
internal struct StructureScanState
{
    /// <summary>Open brackets not yet closed; the scan ends when it drops to 0.</summary>
    public int Depth;

    /// <summary>Whether the byte at the resume position is inside a string.</summary>
    public bool InString;

    /// <summary>Whether a backslash occurred inside a string of the scanned value (its strings may have escapes).</summary>
    public bool SawBackslash;
}

/// <summary>
/// Finds where a JSON value ends by looking only at quotes, backslashes and brackets, with vectorised searches.
/// This is how records that are not KMS are skipped without tokenising them: it does not validate JSON (the full
/// parser does that for the records it keeps), but it never mistakes a brace inside a string for structure.
/// </summary>
internal static class JsonStructure
{
    /// <summary>Bytes classified at once by the block scanner: one bit of a <see cref="ulong"/> mask per byte.</summary>
    internal const int BlockBytes = 64;

    private const ulong EvenBits = 0x5555_5555_5555_5555;

    private static readonly SearchValues<byte> StringStops = SearchValues.Create("\"\\"u8);
    private static readonly SearchValues<byte> StructureStops = SearchValues.Create("\"{}[]"u8);
    private static readonly SearchValues<byte> ScalarEnds = SearchValues.Create(" \t\r\n,}]"u8);

    /// <summary>Whether <see cref="TryFindContainerEnd"/> scans whole 64-byte blocks with SIMD on this machine.</summary>
    internal static bool IsVectorized => Vector128.IsHardwareAccelerated;

    /// <summary>
    /// Continues scanning an object or array that starts at <c>data[0]</c>. <paramref name="pos"/> is where to resume
    /// (1 on the first call, just past the opening bracket, with <c>state.Depth = 1</c>).
    /// </summary>
    /// <remarks>
    /// <para>
    /// While at least 64 bytes remain, the data is read in blocks of 64 bytes, simdjson style: SIMD compares turn each
    /// block into bit masks of quotes, backslashes, opening and closing brackets (bit <c>i</c> is byte <c>i</c>).
    /// Escapes: a backslash run that starts unescaped escapes the byte after it when its length is odd. Adding the
    /// run-start bits of the runs that start at even (or odd) positions to the backslash mask carries through each
    /// run and sets the bit just past it; where that bit's position has the other parity, the run was odd. A carry
    /// out of bit 63 means the first byte of the next block is escaped. The unescaped quotes' prefix XOR (a carry-less
    /// multiplication by all ones, or a shift-XOR cascade) is the in-string mask, flipped when the block starts
    /// inside a string. Brackets outside strings are then walked with <c>TrailingZeroCount</c> (skipped in bulk
    /// when there are fewer closing brackets than the depth), stopping when the depth reaches 0.
    /// </para>
    /// <para>
    /// This treats every backslash as an escape, whereas the byte loop (<see cref="TryFindContainerEndScalar"/>) only
    /// knows escapes inside strings. The two agree on a block whenever all its backslashes land inside strings;
    /// a block with a backslash outside (never in valid JSON) is redone byte by byte. The last bytes (fewer than 64)
    /// go through the byte loop too, so the resume position and state are exactly the byte loop's: a pending escape
    /// is handed over as a resume position on its backslash.
    /// </para>
    /// </remarks>
    /// <returns><c>true</c> and <paramref name="pos"/> just past the closing bracket; <c>false</c> when more data is needed.</returns>
    public static bool TryFindContainerEnd(ReadOnlySpan<byte> data, ref int pos, ref StructureScanState state)
    {
        if (IsVectorized && data.Length - pos >= BlockBytes && TryFindContainerEndInBlocks(data, ref pos, ref state))
        {
            return true;
        }

        return ScanBytes(data, ref pos, data.Length, ref state);
    }

    /// <summary>The byte loop alone: the reference the block scanner must agree with (and its fallback).</summary>
    internal static bool TryFindContainerEndScalar(ReadOnlySpan<byte> data, ref int pos, ref StructureScanState state) =>
        ScanBytes(data, ref pos, data.Length, ref state);

    /// <summary>
    /// Scans whole 64-byte blocks from <paramref name="pos"/>. Returns <c>false</c> with fewer than 64 bytes left after
    /// <paramref name="pos"/> (or exactly 64 when a pending escape moved it back onto its backslash).
    /// </summary>
    private static bool TryFindContainerEndInBlocks(ReadOnlySpan<byte> data, ref int pos, ref StructureScanState state)
    {
        ref var start = ref MemoryMarshal.GetReference(data);
        var p = pos;
        var depth = state.Depth;
        var inString = state.InString ? ulong.MaxValue : 0; // all ones while the next byte is inside a string
        var sawBackslash = state.SawBackslash;
        ulong escapedFirst = 0; // 1 when the block's first byte is escaped by an odd backslash run before it
        var last = data.Length - BlockBytes;
        while (p <= last)
        {
            Classify(ref Unsafe.Add(ref start, p), out var quotes, out var backslashes, out var opens, out var closes);

            ulong escaped = 0;
            var nextEscapedFirst = 0UL;
            if ((backslashes | escapedFirst) != 0)
            {
                escaped = EscapedBytes(backslashes, escapedFirst, out nextEscapedFirst);
            }

            var inside = PrefixXor(quotes & ~escaped) ^ inString;
            if ((backslashes & ~inside) != 0)
            {
                // A backslash outside a string: not an escape for the byte loop, which decides this block (starting
                // on the backslash of an escape pending from the previous block).
                state = new StructureScanState { Depth = depth, InString = inString != 0, SawBackslash = sawBackslash };
                var blockEnd = p + BlockBytes;
                p -= (int)escapedFirst;
                if (ScanBytes(data, ref p, blockEnd, ref state))
                {
                    pos = p;
                    return true;
                }

                depth = state.Depth;
                inString = state.InString ? ulong.MaxValue : 0;
                sawBackslash = state.SawBackslash;
                escapedFirst = 0; // the byte loop stepped over any escape pair straddling the block end
                continue;
            }

            opens &= ~inside;
            closes &= ~inside;
            if (closes != 0 && BitOperations.PopCount(closes) >= depth)
            {
                // The depth may reach 0 here: walk the brackets in order.
                var brackets = opens | closes;
                do
                {
                    var i = BitOperations.TrailingZeroCount(brackets);
                    if (((opens >> i) & 1) != 0)
                    {
                        depth++;
                    }
                    else if (--depth == 0)
                    {
                        pos = p + i + 1;
                        state = new StructureScanState
                        {
                            InString = false,
                            SawBackslash = sawBackslash || (backslashes & (ulong.MaxValue >> (63 - i))) != 0,
                        };
                        return true;
                    }

                    brackets &= brackets - 1;
                }
                while (brackets != 0);
            }
            else
            {
                depth += BitOperations.PopCount(opens) - BitOperations.PopCount(closes);
            }

            sawBackslash |= backslashes != 0;
            inString = (ulong)((long)inside >> 63);
            escapedFirst = nextEscapedFirst;
            p += BlockBytes;
        }

        // A pending escape: resume on the backslash that makes it (inside a string), as the byte loop would.
        pos = p - (int)escapedFirst;
        state = new StructureScanState { Depth = depth, InString = inString != 0, SawBackslash = sawBackslash };
        return false;
    }

    /// <summary>
    /// The bytes escaped by a backslash, if every backslash is an escape character: the byte after each odd-length
    /// run, plus the first byte when <paramref name="escapedFirst"/> is 1. Only the bytes after a run matter here
    /// (a quote there is not a delimiter); backslashes escaped inside a run are not marked.
    /// </summary>
    /// <param name="backslashes">The block's backslash mask.</param>
    /// <param name="escapedFirst">1 when the first byte is escaped by a run that ended the previous block.</param>
    /// <param name="escapedNext">1 when the next block's first byte is escaped (an odd run ends this block).</param>
    internal static ulong EscapedBytes(ulong backslashes, ulong escapedFirst, out ulong escapedNext)
    {
        var runs = backslashes & ~escapedFirst; // an escaped first backslash is a plain byte: a run starts after it
        var starts = runs & ~(runs << 1);
        var evenStarts = starts & EvenBits;
        var oddStarts = starts & ~EvenBits;

        // Adding a run's start bit clears the run and sets the bit just past it (a carry out of bit 63 if it ends
        // the block). A run is odd when that bit's parity differs from the start's.
        var afterEven = (runs + evenStarts) & ~runs;
        var oddSum = runs + oddStarts;
        escapedNext = oddSum < runs ? 1UL : 0; // a run that started at an odd position reached bit 63: odd length
        var afterOdd = oddSum & ~runs;
        return (afterEven & ~EvenBits) | (afterOdd & EvenBits) | escapedFirst;
    }

    /// <summary>Bit <c>i</c> of the result is the XOR of bits 0..i of <paramref name="x"/>.</summary>
    internal static ulong PrefixXor(ulong x)
    {
        if (Pclmulqdq.IsSupported)
        {
            // Carry-less multiplication by all ones: the low half of the product is the running XOR.
            return Pclmulqdq.CarrylessMultiply(Vector128.CreateScalar(x), Vector128.Create(ulong.MaxValue), 0).ToScalar();
        }

        x ^= x << 1;
        x ^= x << 2;
        x ^= x << 4;
        x ^= x << 8;
        x ^= x << 16;
        x ^= x << 32;
        return x;
    }

    /// <summary>Bit masks of the 64 bytes at <paramref name="block"/>: quotes, backslashes, <c>{</c>/<c>[</c> and <c>}</c>/<c>]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Classify(ref byte block, out ulong quotes, out ulong backslashes, out ulong opens, out ulong closes)
    {
        // '{' and '[' (0x7B, 0x5B), like '}' and ']' (0x7D, 0x5D), differ only in bit 0x20: one compare each after OR 0x20.
        if (Vector512.IsHardwareAccelerated)
        {
            var v = Vector512.LoadUnsafe(ref block);
            var folded = v | Vector512.Create((byte)0x20);
            quotes = Vector512.Equals(v, Vector512.Create((byte)'"')).ExtractMostSignificantBits();
            backslashes = Vector512.Equals(v, Vector512.Create((byte)'\\')).ExtractMostSignificantBits();
            opens = Vector512.Equals(folded, Vector512.Create((byte)'{')).ExtractMostSignificantBits();
            closes = Vector512.Equals(folded, Vector512.Create((byte)'}')).ExtractMostSignificantBits();
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var lo = Vector256.LoadUnsafe(ref block);
            var hi = Vector256.LoadUnsafe(ref block, 32);
            quotes = Mask(lo, hi, (byte)'"');
            backslashes = Mask(lo, hi, (byte)'\\');
            var fold = Vector256.Create((byte)0x20);
            opens = Mask(lo | fold, hi | fold, (byte)'{');
            closes = Mask(lo | fold, hi | fold, (byte)'}');
        }
        else
        {
            var a = Vector128.LoadUnsafe(ref block);
            var b = Vector128.LoadUnsafe(ref block, 16);
            var c = Vector128.LoadUnsafe(ref block, 32);
            var d = Vector128.LoadUnsafe(ref block, 48);
            quotes = Mask(a, b, c, d, (byte)'"');
            backslashes = Mask(a, b, c, d, (byte)'\\');
            var fold = Vector128.Create((byte)0x20);
            opens = Mask(a | fold, b | fold, c | fold, d | fold, (byte)'{');
            closes = Mask(a | fold, b | fold, c | fold, d | fold, (byte)'}');
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mask(Vector256<byte> lo, Vector256<byte> hi, byte value)
    {
        var target = Vector256.Create(value);
        return Vector256.Equals(lo, target).ExtractMostSignificantBits() | ((ulong)Vector256.Equals(hi, target).ExtractMostSignificantBits() << 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mask(Vector128<byte> a, Vector128<byte> b, Vector128<byte> c, Vector128<byte> d, byte value)
    {
        var target = Vector128.Create(value);
        return Vector128.Equals(a, target).ExtractMostSignificantBits()
            | ((ulong)Vector128.Equals(b, target).ExtractMostSignificantBits() << 16)
            | ((ulong)Vector128.Equals(c, target).ExtractMostSignificantBits() << 32)
            | ((ulong)Vector128.Equals(d, target).ExtractMostSignificantBits() << 48);
    }

    /// <summary>
    /// The byte loop: one <c>IndexOfAny</c> per quote, backslash or bracket, over <c>data[pos..limit]</c>. An escape
    /// pair may end one byte past <paramref name="limit"/>; a backslash as the very last byte of <paramref name="data"/>
    /// stops the scan on it, so that the next call (with more data) resumes there.
    /// </summary>
    private static bool ScanBytes(ReadOnlySpan<byte> data, ref int pos, int limit, ref StructureScanState state)
    {
        while (pos < limit)
        {
            if (state.InString)
            {
                var i = data[pos..limit].IndexOfAny(StringStops);
                if (i < 0)
                {
                    pos = limit;
                    return false;
                }

                pos += i;
                if (data[pos] == (byte)'\\')
                {
                    state.SawBackslash = true;
                    if (pos + 1 >= data.Length)
                    {
                        return false; // the escaped byte is in the next chunk; resume at the backslash
                    }

                    pos += 2;
                    continue;
                }

                state.InString = false;
                pos++;
                continue;
            }

            var j = data[pos..limit].IndexOfAny(StructureStops);
            if (j < 0)
            {
                pos = limit;
                return false;
            }

            pos += j;
            switch (data[pos])
            {
                case (byte)'"':
                    state.InString = true;
                    break;
                case (byte)'{':
                case (byte)'[':
                    state.Depth++;
                    break;
                default:
                    state.Depth--;
                    if (state.Depth == 0)
                    {
                        pos++;
                        return true;
                    }

                    break;
            }

            pos++;
        }

        return false;
    }

    /// <summary>Finds the closing quote of a string whose opening quote is at <c>data[start]</c>.</summary>
    /// <returns>Index just past the closing quote, or -1 when more data is needed.</returns>
    public static int FindStringEnd(ReadOnlySpan<byte> data, int start, out bool escaped)
    {
        escaped = false;
        var pos = start + 1;
        while (pos < data.Length)
        {
            var i = data[pos..].IndexOfAny(StringStops);
            if (i < 0)
            {
                return -1;
            }

            pos += i;
            if (data[pos] == (byte)'"')
            {
                return pos + 1;
            }

            escaped = true;
            pos += 2;
        }

        return -1;
    }

    /// <summary>
    /// Whether the string token <paramref name="quoted"/> (quotes included, as delimited by <see cref="FindStringEnd"/>)
    /// reads as <paramref name="text"/>: a name spelled with escapes (<c>"Rec\u006frds"</c>) is the same name.
    /// </summary>
    public static bool StringEquals(ReadOnlySpan<byte> quoted, bool escaped, ReadOnlySpan<byte> text)
    {
        if (!escaped)
        {
            return quoted[1..^1].SequenceEqual(text);
        }

        try
        {
            var reader = new Utf8JsonReader(quoted);
            return reader.Read() && reader.ValueTextEquals(text);
        }
        catch (JsonException)
        {
            return false; // a malformed escape is not the name; like other skipped bytes, it is not validated here
        }
    }

    /// <summary>Finds the end of a number, <c>true</c>, <c>false</c> or <c>null</c> starting at <c>data[start]</c>.</summary>
    /// <returns>Index just past the scalar, or -1 when more data is needed.</returns>
    public static int FindScalarEnd(ReadOnlySpan<byte> data, int start)
    {
        var i = data[start..].IndexOfAny(ScalarEnds);
        return i < 0 ? -1 : start + i;
    }

    public static int SkipWhitespace(ReadOnlySpan<byte> data, int pos)
    {
        while (pos < data.Length && data[pos] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            pos++;
        }

        return pos;
    }
}
