using System.Buffers;
using System.Text.Json;

namespace Pipeline.Parsing;

/// <summary>Resumable state of <see cref="JsonStructure.TryFindContainerEnd"/> across buffer refills.</summary>
internal struct StructureScanState
{
    public int Depth;
    public bool InString;
    public bool SawBackslash;
}

/// <summary>
/// Finds where a JSON value ends by looking only at quotes, backslashes and brackets, with vectorised searches.
/// This is how records that are not KMS are skipped without tokenising them: it does not validate JSON (the full
/// parser does that for the records it keeps), but it never mistakes a brace inside a string for structure.
/// </summary>
internal static class JsonStructure
{
    private static readonly SearchValues<byte> StringStops = SearchValues.Create("\"\\"u8);
    private static readonly SearchValues<byte> StructureStops = SearchValues.Create("\"{}[]"u8);
    private static readonly SearchValues<byte> ScalarEnds = SearchValues.Create(" \t\r\n,}]"u8);

    /// <summary>
    /// Continues scanning an object or array that starts at <c>data[0]</c>. <paramref name="pos"/> is where to resume
    /// (1 on the first call, just past the opening bracket, with <c>state.Depth = 1</c>).
    /// </summary>
    /// <returns><c>true</c> and <paramref name="pos"/> just past the closing bracket; <c>false</c> when more data is needed.</returns>
    public static bool TryFindContainerEnd(ReadOnlySpan<byte> data, ref int pos, ref StructureScanState state)
    {
        while (pos < data.Length)
        {
            if (state.InString)
            {
                var i = data[pos..].IndexOfAny(StringStops);
                if (i < 0)
                {
                    pos = data.Length;
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

            var j = data[pos..].IndexOfAny(StructureStops);
            if (j < 0)
            {
                pos = data.Length;
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
