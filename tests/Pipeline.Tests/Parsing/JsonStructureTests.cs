using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text;
using System.Text.Json;
using Pipeline.Parsing;
using Xunit.Abstractions;

namespace Pipeline.Tests.Parsing;

/// <summary>
/// <see cref="JsonStructure.TryFindContainerEnd"/> scans 64-byte blocks with bit masks; the byte loop
/// (<see cref="JsonStructure.TryFindContainerEndScalar"/>) is the reference. Both must return the same answer, the same
/// resume position and the same state after every call, wherever the data is cut into refills, on valid JSON and on
/// any byte soup alike.
/// </summary>
public sealed class JsonStructureTests(ITestOutputHelper output)
{
    private delegate bool Scan(ReadOnlySpan<byte> data, ref int pos, ref StructureScanState state);

    [Fact]
    public void The_block_scanner_agrees_with_the_byte_loop_on_random_jsonish_bytes_at_every_split_point()
    {
        // DOTNET_EnableAVX512=0 (Vector256), DOTNET_EnableAVX2=0 (Vector128), DOTNET_EnableAES=0 (no PCLMULQDQ: shift-XOR) or
        // DOTNET_EnableHWIntrinsic=0 (byte loop only) run the other paths.
        output.WriteLine($"block scanner: {JsonStructure.IsVectorized}, Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, PCLMULQDQ {Pclmulqdq.IsSupported}");
        var rng = new Random(5150);
        long calls = 0;
        for (var n = 0; n < 400; n++)
        {
            var data = RandomBytes(rng, rng.Next(1, 420));
            var initial = RandomState(rng);
            calls += CompareAtEverySplit(data, initial, $"random bytes #{n} (state {Show(initial)}): {Encoding.UTF8.GetString(data)}");
            calls += CompareAtRandomSplits(rng, data, initial, $"random bytes #{n} (state {Show(initial)}): {Encoding.UTF8.GetString(data)}");
        }

        output.WriteLine($"{calls} calls compared");
    }

    [Fact]
    public void The_block_scanner_agrees_with_the_byte_loop_on_random_valid_json_at_every_split_point()
    {
        var rng = new Random(1164);
        for (var n = 0; n < 300; n++)
        {
            var json = RandomJson(rng);
            using (JsonDocument.Parse(json))
            {
                // the generator writes valid JSON
            }

            AssertEndsAfter(json, ",{}", $"random JSON #{n}: {json}");
        }
    }

    /// <summary>Backslash runs of 1 to 5, closing or escaped quotes and brackets in strings, placed across the 64-byte edges.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Backslash_runs_quotes_and_brackets_at_every_offset_around_block_edges_end_the_record_where_a_parser_does(int run)
    {
        foreach (var after in new[] { "\"", "}", "]", "{", "n", "é" })
        {
            // An odd run escapes what follows it; an even run is whole escape pairs, so the quote after it closes the string.
            var content = new string('\\', run) + (run % 2 == 1 ? after : after == "\"" ? string.Empty : after);
            for (var pad = 0; pad < 2 * JsonStructure.BlockBytes + 8; pad++)
            {
                var record = "{\"k\":\"" + new string('a', pad) + content + "\",\"o\":{\"s\":\"}]\\\"[{\"},\"e\":[]}";
                AssertEndsAfter(record, ",{\"next\":\"}\"}", $"run {run}, then '{after}', pad {pad}: {record}");
            }
        }
    }

    [Theory]
    [InlineData("\"")]
    [InlineData("}")]
    [InlineData("{")]
    [InlineData("]")]
    [InlineData("\\\\")]
    [InlineData("\\\"")]
    [InlineData("日本")]
    [InlineData("😀")]
    public void A_quote_or_bracket_at_bytes_62_to_66_is_read_inside_or_outside_strings_as_the_byte_loop_reads_it(string piece)
    {
        for (var at = JsonStructure.BlockBytes - 3; at <= JsonStructure.BlockBytes + 3; at++)
        {
            // Inside a string value, and as the record's own structure ('"' then opens a string the tail closes).
            var inString = "{\"k\":\"" + new string('x', Math.Max(0, at - 6)) + piece + "\"}";
            var structural = "{\"k\":" + new string(' ', Math.Max(0, at - 5)) + piece + "  \"\"]}\"}}}}" + new string(' ', 80);
            foreach (var text in new[] { inString, structural })
            {
                var data = Encoding.UTF8.GetBytes(text);
                CompareAtEverySplit(data, new StructureScanState { Depth = 1 }, $"'{piece}' at {at}: {text}", startAt: 1);
            }
        }
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("[]")]
    [InlineData("{\"a\":\"}\"}")]
    [InlineData("{\"a\":[1,{\"b\":\"\\\\\"}]}")]
    [InlineData("{\"é\":\"日本語 😀\",\"x\":[\"\\u00e9\"]}")]
    public void Records_shorter_than_a_block_end_where_the_byte_loop_ends_them(string record)
    {
        foreach (var tail in new[] { string.Empty, ",", ",{\"next\":1}" + new string(' ', 70) })
        {
            AssertEndsAfter(record, tail, record + tail);
        }
    }

    [Fact]
    public void A_trailing_backslash_in_a_string_stops_the_scan_on_it_after_whole_blocks()
    {
        foreach (var length in new[] { 64, 65, 127, 128, 129, 200 })
        {
            var text = "{\"k\":\"" + new string('a', length - 7) + "\\";
            var data = Encoding.UTF8.GetBytes(text);
            Assert.Equal(length, data.Length);
            var pos = 1;
            var state = new StructureScanState { Depth = 1 };
            Assert.False(JsonStructure.TryFindContainerEnd(data, ref pos, ref state));
            Assert.Equal(length - 1, pos);
            Assert.True(state.InString && state.SawBackslash && state.Depth == 1);
        }
    }

    [Fact]
    public void Escaped_bytes_are_those_after_odd_backslash_runs_for_random_masks()
    {
        var rng = new Random(64);
        var bytes = new byte[8];
        for (var n = 0; n < 200_000; n++)
        {
            rng.NextBytes(bytes);
            var mask = BitConverter.ToUInt64(bytes);
            mask = (n % 4) switch { 0 => mask, 1 => mask & BitConverter.ToUInt64(bytes.Reverse().ToArray()), 2 => mask | (mask << 1), _ => ~0UL << rng.Next(64) };
            foreach (var escapedFirst in new[] { 0UL, 1UL })
            {
                var actual = JsonStructure.EscapedBytes(mask, escapedFirst, out var next);
                var (expected, expectedNext) = EscapedReference(mask, escapedFirst);

                // Only the byte after a run counts (a backslash escaped inside a run is still a backslash).
                Assert.True((expected & ~mask) == (actual & ~mask), $"mask {mask:x16}, first escaped {escapedFirst}");
                Assert.True(expectedNext == next, $"mask {mask:x16}, first escaped {escapedFirst}: next {next}");
            }
        }
    }

    [Fact]
    public void Prefix_xor_is_the_running_parity()
    {
        var rng = new Random(2);
        for (var n = 0; n < 10_000; n++)
        {
            var x = (ulong)rng.NextInt64() ^ ((ulong)rng.Next(2) << 63);
            ulong expected = 0, parity = 0;
            for (var i = 0; i < 64; i++)
            {
                parity ^= (x >> i) & 1;
                expected |= parity << i;
            }

            Assert.Equal(expected, JsonStructure.PrefixXor(x));
        }
    }

    /// <summary>
    /// <paramref name="record"/> (one object) followed by <paramref name="tail"/>: both scanners agree at every split,
    /// and the scan ends just after the record, having seen a backslash exactly when the record has one.
    /// </summary>
    private static void AssertEndsAfter(string record, string tail, string context)
    {
        var data = Encoding.UTF8.GetBytes(record + tail);
        CompareAtEverySplit(data, new StructureScanState { Depth = 1 }, context, startAt: 1);
        var pos = 1;
        var state = new StructureScanState { Depth = 1 };
        Assert.True(JsonStructure.TryFindContainerEnd(data, ref pos, ref state), context);
        Assert.True(Encoding.UTF8.GetByteCount(record) == pos, $"{context}: ends at {pos}");
        Assert.True(record.Contains('\\', StringComparison.Ordinal) == state.SawBackslash, $"{context}: backslash seen {state.SawBackslash}");
    }

    /// <summary>Sequential reference: every backslash that is not escaped escapes the next byte.</summary>
    private static (ulong Escaped, ulong Next) EscapedReference(ulong backslashes, ulong escapedFirst)
    {
        ulong escaped = 0;
        var pending = escapedFirst != 0;
        for (var i = 0; i < 64; i++)
        {
            if (pending)
            {
                escaped |= 1UL << i;
                pending = false;
            }
            else if (((backslashes >> i) & 1) != 0)
            {
                pending = true;
            }
        }

        return (escaped, pending ? 1UL : 0);
    }

    /// <summary>Every single cut of <paramref name="data"/> into two refills; returns the number of calls compared.</summary>
    private static long CompareAtEverySplit(byte[] data, StructureScanState initial, string context, int startAt = 0)
    {
        long calls = 0;
        for (var split = startAt; split <= data.Length; split++)
        {
            calls += Compare(data, [split], initial, startAt, context);
        }

        return calls;
    }

    private static long CompareAtRandomSplits(Random rng, byte[] data, StructureScanState initial, string context)
    {
        long calls = 0;
        for (var n = 0; n < 20; n++)
        {
            var cuts = Enumerable.Range(0, rng.Next(1, 8)).Select(_ => rng.Next(data.Length + 1)).Order().ToArray();
            calls += Compare(data, cuts, initial, 0, context);
        }

        return calls;
    }

    /// <summary>
    /// Feeds growing prefixes of <paramref name="data"/> as the reader does after refills (resuming where the previous
    /// call stopped) and, after each value ends, scans the next one with fresh state; both scanners must leave the same trace.
    /// </summary>
    private static long Compare(byte[] data, int[] cuts, StructureScanState initial, int startAt, string context)
    {
        var expected = Trace(JsonStructure.TryFindContainerEndScalar, data, cuts, initial, startAt);
        var actual = Trace(JsonStructure.TryFindContainerEnd, data, cuts, initial, startAt);
        if (!expected.SequenceEqual(actual))
        {
            var i = Enumerable.Range(0, Math.Min(expected.Count, actual.Count)).FirstOrDefault(k => expected[k] != actual[k], Math.Min(expected.Count, actual.Count));
            Assert.Fail($"{context}\ncuts [{string.Join(",", cuts)}], call {i}: byte loop {(i < expected.Count ? expected[i] : "(none)")}, block scanner {(i < actual.Count ? actual[i] : "(none)")}");
        }

        return actual.Count;
    }

    private static List<string> Trace(Scan scan, byte[] data, int[] cuts, StructureScanState initial, int startAt)
    {
        var trace = new List<string>();
        var pos = startAt;
        var state = initial;
        foreach (var end in cuts.Append(data.Length))
        {
            while (true)
            {
                var done = scan(data.AsSpan(0, end), ref pos, ref state);
                trace.Add($"{(done ? "end" : "more")} pos {pos} {Show(state)}");
                if (!done)
                {
                    break;
                }

                state = initial with { InString = false, SawBackslash = false };
            }
        }

        return trace;
    }

    private static string Show(StructureScanState s) => $"depth {s.Depth}{(s.InString ? " in-string" : string.Empty)}{(s.SawBackslash ? " backslash" : string.Empty)}";

    private static StructureScanState RandomState(Random rng) => new()
    {
        Depth = rng.Next(1, 6),
        InString = rng.Next(3) == 0,
        SawBackslash = rng.Next(4) == 0,
    };

    /// <summary>Bytes from <c>{}[]"\ a,:</c> (and some UTF-8), with a mix that varies per string so some strings are mostly text.</summary>
    private static byte[] RandomBytes(Random rng, int length)
    {
        const string alphabet = "{}[]\"\\ a,:";
        var weights = alphabet.Select(_ => rng.Next(1, 10)).ToArray();
        weights[alphabet.IndexOf('a', StringComparison.Ordinal)] += rng.Next(0, 60);
        if (rng.Next(4) == 0)
        {
            weights[alphabet.IndexOf('\\', StringComparison.Ordinal)] = 0;
        }

        var total = weights.Sum();
        var sb = new StringBuilder(length);
        while (Encoding.UTF8.GetByteCount(sb.ToString()) < length)
        {
            if (rng.Next(40) == 0)
            {
                sb.Append(rng.Next(2) == 0 ? "é" : "😀");
                continue;
            }

            var r = rng.Next(total);
            var i = 0;
            while (r >= weights[i])
            {
                r -= weights[i++];
            }

            sb.Append(alphabet[i]);
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>A random JSON object whose strings hold escaped quotes, backslash runs, brackets and non-ASCII text.</summary>
    private static string RandomJson(Random rng)
    {
        var sb = new StringBuilder();
        do
        {
            sb.Clear();
            WriteObject(sb, rng, 0);
        }
        while (sb.Length > 1500);

        return sb.ToString();

        static void WriteValue(StringBuilder sb, Random rng, int depth)
        {
            switch (depth > 4 ? rng.Next(3) : rng.Next(6))
            {
                case 0:
                    WriteString(sb, rng);
                    break;
                case 1:
                    sb.Append(rng.Next(-1000, 100000));
                    break;
                case 2:
                    sb.Append(rng.Next(2) == 0 ? "true" : "null");
                    break;
                case 3:
                    sb.Append('[');
                    for (var i = rng.Next(4); i > 0; i--)
                    {
                        WriteValue(sb, rng, depth + 1);
                        sb.Append(i > 1 ? "," : string.Empty);
                    }

                    sb.Append(']');
                    break;
                default:
                    WriteObject(sb, rng, depth + 1);
                    break;
            }
        }

        static void WriteObject(StringBuilder sb, Random rng, int depth)
        {
            sb.Append('{');
            for (var i = rng.Next(6); i > 0; i--)
            {
                WriteString(sb, rng);
                sb.Append(rng.Next(4) == 0 ? " : " : ":");
                WriteValue(sb, rng, depth);
                sb.Append(i > 1 ? "," : string.Empty);
            }

            sb.Append('}');
        }

        static void WriteString(StringBuilder sb, Random rng)
        {
            sb.Append('"');
            for (var i = rng.Next(12); i > 0; i--)
            {
                switch (rng.Next(8))
                {
                    case 0:
                        sb.Append(new string('\\', 2 * rng.Next(1, 3))); // whole escape pairs: \\ or \\\\
                        break;
                    case 1:
                        sb.Append(new string('\\', 2 * rng.Next(0, 3))).Append("\\\""); // an odd run escaping a quote
                        break;
                    case 2:
                        sb.Append("{}[]"[rng.Next(4)]);
                        break;
                    case 3:
                        sb.Append(rng.Next(2) == 0 ? "é" : "日本😀");
                        break;
                    case 4:
                        sb.Append("\\u00e9");
                        break;
                    default:
                        sb.Append('a', rng.Next(1, 40));
                        break;
                }
            }

            sb.Append('"');
        }
    }
}
