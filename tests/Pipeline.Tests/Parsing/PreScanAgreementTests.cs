using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Generation;
using Pipeline.Parsing;
using Pipeline.Tests.Support;
using Xunit.Abstractions;
using static Pipeline.Tests.Support.CloudTrailRecords;

namespace Pipeline.Tests.Parsing;

/// <summary>The records the agreement test mutates: a small generated archive plus the hand-written records.</summary>
public sealed class PreScanCorpus : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "prescan-" + Guid.NewGuid().ToString("N"));

    /// <summary>Records of the generated log files, in file order.</summary>
    internal List<JsonObject> Generated { get; } = [];

    /// <summary>The records of <see cref="CloudTrailRecords"/>.</summary>
    internal List<JsonObject> HandWritten { get; } = [];

    public async Task InitializeAsync()
    {
        var options = new GeneratorOptions
        {
            OutputDirectory = _root,
            Days = 2,
            EndDate = new DateOnly(2026, 1, 14),
            Seed = 7,
            TargetUncompressedBytes = 400_000,
            DeliveryMinutes = 240,
        };
        await ArchiveGenerator.GenerateAsync(options, null, CancellationToken.None);
        foreach (var path in Directory.EnumerateFiles(_root, "*.json.gz", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            await using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            var root = JsonNode.Parse(gz);
            if (root?["Records"] is JsonArray records)
            {
                Generated.AddRange(records.Select(r => r!.AsObject()));
            }
        }

        foreach (var text in new[] { AssumedRoleDecrypt(), S3RecordMentioningKms(), Ec2Record(), GenerateDataKeyPair, LegacyCreateKey, ReplicateKey, ReEncrypt })
        {
            HandWritten.Add(JsonNode.Parse(text)!.AsObject());
        }
    }

    public Task DisposeAsync()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// The reader's structural pre-scan and the collector's byte filter must keep exactly the records that a full parse
/// of the whole document (System.Text.Json, last duplicate wins) finds with a top-level <c>eventSource</c> of
/// <c>kms.amazonaws.com</c>, whatever the whitespace, key order, escapes, nesting, duplicates and buffer boundaries.
/// </summary>
public sealed class PreScanAgreementTests(PreScanCorpus corpus, ITestOutputHelper output) : IClassFixture<PreScanCorpus>
{
    private const string Kms = "kms.amazonaws.com";
    private const int Seed = 20260114;
    private const int Documents = 400;

    private static readonly string[] KmsEscaped =
    [
        "\"kms\\u002eamazonaws\\u002ecom\"",
        "\"\\u006bms.amazonaws.com\"",
        "\"\\u006B\\u006D\\u0073\\u002E\\u0061mazonaws.co\\u006d\"",
        "\"kms.amazonaws.com\"",
    ];

    private static readonly string[] NotKmsSources =
    [
        "\"s3\\u002eamazonaws.com\"",
        "\"s3.amazonaws.com\"",
        "\"KMS.amazonaws.com\"",
        "\"kms.amazonaws.com \"",
        "\" kms.amazonaws.com\"",
        "\"kms.amazonaws.com.cn\"",
        "\"xkms.amazonaws.com\"",
        "\"kms.amazonaws.co\"",
        "\"kms.amazonaws.com\\u0000\"",
        "\"kms\\u002eamazonaws\\u002ecom\\\\\"",
        "\"kms\\\\u002eamazonaws.com\"",
        "\"\\\"kms.amazonaws.com\\\"\"",
        "\"\"",
    ];

    private static readonly string[] TrickyStrings =
    [
        "a \"quoted\" \\ value",
        "{[}]",
        "}]},{\"eventSource\":\"kms.amazonaws.com\"}",
        "\\",
        "ends with a backslash \\",
        "\\\\\\\"\\\"",
        "\"",
        "]",
        "}",
        "C:\\Program Files\\kms.amazonaws.com\\",
        "\"eventSource\":\"kms.amazonaws.com\"",
        "\\u006bms.amazonaws.com",
        "/*not a comment*/ // nor this",
        "tab\there\r\nand newline",
    ];

    private static readonly string[] NonAscii =
    [
        "café — naïve façade",
        "日本語のテキスト",
        "emoji 😀🔑 and ☕",
        "Ωμέγα kms.amazonaws.com Ω",
        "\u00a0non-breaking\u2028line separator\u2029",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    ];

    private static readonly string[] LongStringPieces =
    [
        "a", "b", "kms", " ", "{", "}", "[", "]", "\"", "\\", "/", ":", ",", "é", "日", "😀", "\t", "\n", "amazonaws", ".com", "eventSource",
    ];

    private static readonly string[] ExtraTopLevelValues =
    [
        """{"Records":[{"eventSource":"kms.amazonaws.com","eventID":"decoy"}]}""",
        "\"\\\"Records\\\":[{\\\"eventSource\\\":\\\"kms.amazonaws.com\\\"}]}\"",
        "-1.5e3",
        "42",
        "0",
        "true",
        "false",
        "null",
        """[[],{},"]}",{"a":"\\"},"\\\""]""",
        "\"\\\\\"",
        "{}",
        "[]",
        "\"\"",
        """{"digestPublicKeyFingerprint":"abc","logFiles":[{"s3Bucket":"b","s3Object":"Records/kms.amazonaws.com"}]}""",
    ];

    private static readonly string[] ExtraTopLevelKeys = ["digest", "meta", "records", "RecordsX", "Record", "note", "é", "Records2"];

    private static readonly JsonSerializerOptions[] StjOptions =
    [
        new() { WriteIndented = true },
        new() { WriteIndented = true, NewLine = "\r\n", IndentCharacter = '\t', IndentSize = 1 },
        new() { WriteIndented = false },
        new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping },
    ];

    private enum Layout
    {
        Compact,
        Spaced,
        Indented,
        IndentedCrlf,
        SystemTextJson,
    }

    [Fact]
    public async Task The_pre_scan_keeps_exactly_the_records_a_full_parse_finds_in_hundreds_of_mutated_documents()
    {
        var pool = corpus.Generated.Concat(corpus.HandWritten).ToList();
        Assert.True(corpus.Generated.Count > 100, $"the generated archive has only {corpus.Generated.Count} records");
        Assert.Contains(corpus.Generated, IsKms);

        var rng = new Random(Seed);
        long records = 0, kept = 0, keptWithEscapes = 0, rejectedCandidates = 0, rejectedUnparsed = 0, bytes = 0;
        for (var d = 0; d < Documents; d++)
        {
            var docSeed = rng.Next();
            var doc = BuildDocument(new Random(docSeed), pool);
            var mode = ReadMode.Pick(new Random(docSeed ^ 0x5bd1e995));
            var context = $"seed {Seed}, document {d} (document seed {docSeed}, {mode})";
            var reference = Reference(doc.Bytes);

            PipelineAnswer actual;
            try
            {
                actual = await RunPipelineAsync(doc.Bytes, mode, docSeed);
            }
            catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"{context}: the pipeline failed on a valid document: {ex.GetType().Name}: {ex.Message}\ndocument prefix: {Prefix(doc.Text, 1500)}");
                return;
            }

            Assert.True(reference.Count == actual.Records, $"{context}: {actual.Records} records read, the full parse has {reference.Count}\ndocument prefix: {Prefix(doc.Text, 1500)}");
            if (!reference.Kept.SequenceEqual(actual.Kept))
            {
                var i = reference.Kept.Except(actual.Kept).Concat(actual.Kept.Except(reference.Kept)).Min();
                var verdict = reference.Kept.Contains(i) ? "the full parse keeps it, the pipeline does not" : "the pipeline keeps it, the full parse does not";
                Assert.Fail($"{context}: Records[{i}]: {verdict}\nrecord: {Prefix(doc.Records[(int)i], 4000)}\ndocument prefix: {Prefix(doc.Text, 600)}");
            }

            Assert.Equal(actual.Kept.Count, actual.KmsRecords);
            records += actual.Records;
            kept += actual.Kept.Count;
            keptWithEscapes += actual.Kept.Count(k => doc.Records[(int)k].Contains('\\', StringComparison.Ordinal));
            rejectedCandidates += actual.CandidatesParsed - actual.Kept.Count;
            rejectedUnparsed += actual.Records - actual.CandidatesParsed;
            bytes += doc.Bytes.Length;
        }

        // The mutations must actually reach both sides of the filter, or the agreement proves little.
        var stats = $"{Documents} documents, {records} records ({corpus.Generated.Count} generated in the pool), {kept} kept ({keptWithEscapes} with escapes), {rejectedCandidates} parsed and rejected, {rejectedUnparsed} rejected unparsed, {bytes} bytes";
        output.WriteLine(stats);
        Assert.True(records > 5_000, stats);
        Assert.True(kept > 500, stats);
        Assert.True(keptWithEscapes > 200, stats);
        Assert.True(rejectedCandidates > 500, stats);
        Assert.True(rejectedUnparsed > 500, stats);
    }

    public static TheoryData<string, string, int[]> Cases()
    {
        var kms = AssumedRoleDecrypt();
        var ec2 = Ec2Record();
        const string source = "\"eventSource\":\"kms.amazonaws.com\"";
        var data = new TheoryData<string, string, int[]>
        {
            { "pretty-printed with WriteIndented", Wrap(JsonNode.Parse(kms)!.ToJsonString(StjOptions[0])), [1] },
            { "pretty-printed with CRLF and tabs", Wrap(JsonNode.Parse(kms)!.ToJsonString(StjOptions[1])), [1] },
            { "spaces, tabs and newlines between every token", Wrap(kms.Replace("\":", "\" \t:\r\n ", StringComparison.Ordinal).Replace(",\"", " ,\n\t\"", StringComparison.Ordinal).Replace("{", "{ ", StringComparison.Ordinal)), [1] },
            { "keys in reverse order at every level", Wrap(Reversed(JsonNode.Parse(kms)!).ToJsonString()), [1] },
            { "dots escaped in the KMS source", Wrap(Edit(kms, source, "\"eventSource\":\"kms\\u002eamazonaws\\u002ecom\"")), [1] },
            { "first letter escaped in the KMS source", Wrap(Edit(kms, source, "\"eventSource\":\"\\u006bms.amazonaws.com\"")), [1] },
            { "escaped S3 source", Wrap(Edit(kms, source, "\"eventSource\":\"s3\\u002eamazonaws.com\"")), [] },
            { "escaped eventSource key", Wrap(Edit(kms, source, "\"event\\u0053ource\":\"kms.amazonaws.com\"")), [1] },
            { "eventSource only in requestParameters", Wrap(Edit(Edit(kms, source + ",", string.Empty), "\"requestParameters\":{", "\"requestParameters\":{" + source + ",")), [] },
            { "S3 record with a KMS eventSource nested", Wrap(Edit(ec2, "\"filterSet\":{}", "\"filterSet\":{" + source + "}")), [] },
            { "KMS eventSource quoted inside userAgent", Wrap(Edit(ec2, "\"userAgent\":\"console.amazonaws.com\"", "\"userAgent\":\"console {\\\"eventSource\\\":\\\"kms.amazonaws.com\\\"}\"")), [] },
            { "S3 eventSource quoted inside a KMS userAgent", Wrap(Edit(kms, "\"userAgent\":\"aws-sdk-go/1.44\"", "\"userAgent\":\"{\\\"eventSource\\\":\\\"s3.amazonaws.com\\\"}\"")), [1] },
            { "KMS as sourceIPAddress", Wrap(Edit(ec2, "\"sourceIPAddress\":\"198.51.100.1\"", "\"sourceIPAddress\":\"kms.amazonaws.com\"")), [] },
            { "KMS in arrays", Wrap(Edit(ec2, "\"readOnly\":true", "\"tags\":[\"eventSource\",\"kms.amazonaws.com\",{" + source + "},[" + source.Replace(":", ",", StringComparison.Ordinal) + "]],\"readOnly\":true")), [] },
            { "escaped quotes and backslashes in a KMS record", Wrap(Edit(kms, "aws-sdk-go/1.44", "a \\\"quoted\\\" \\\\ value \\\\")), [1] },
            { "escaped quotes and backslashes in an EC2 record", Wrap(Edit(ec2, "console.amazonaws.com", "a \\\"quoted\\\" \\\\ kms.amazonaws.com \\\\")), [] },
            { "braces and brackets inside KMS strings", Wrap(Edit(kms, "aws-sdk-go/1.44", "{[}]")), [1] },
            { "a string that looks like the end of the record", Wrap(Edit(ec2, "console.amazonaws.com", "}]},{\\\"eventSource\\\":\\\"kms.amazonaws.com\\\"}")), [] },
            { "unicode escapes and non-ASCII text", Wrap(Edit(kms, "aws-sdk-go/1.44", "caf\\u00e9 \\ud83d\\ude00 日本語 ☕ 😀")), [1] },
            { "duplicate eventSource, KMS then S3", Wrap(Edit(kms, source, source + ",\"eventSource\":\"s3.amazonaws.com\"")), [] },
            { "duplicate eventSource, S3 then KMS", Wrap(Edit(kms, source, "\"eventSource\":\"s3.amazonaws.com\"," + source)), [1] },
            { "duplicate eventSource, KMS then null", Wrap(Edit(kms, source, source + ",\"eventSource\":null")), [] },
            { "eventSource missing", Wrap(Edit(kms, source + ",", string.Empty)), [] },
            { "eventSource null", Wrap(Edit(kms, source, "\"eventSource\":null")), [] },
            { "eventSource an array holding KMS", Wrap(Edit(kms, source, "\"eventSource\":[\"kms.amazonaws.com\"]")), [] },
            { "a 20 kB userAgent full of escapes", Wrap(Edit(kms, "aws-sdk-go/1.44", string.Concat(Enumerable.Repeat("x\\\\\\\"{[]}é", 2000)))), [1] },
            {
                "extra top-level keys before and after Records",
                "{\"digest\":{\"Records\":[{" + source + "}]},\"note\":\"\\\"Records\\\":[\",\"n\":-1.5e3,\"Records\":[" + ec2 + "," + kms + "],\"after\":[true,false,null,\"]}\"],\"z\":0}",
                [1]
            },
            { "Records key spelled with escapes", "{\"R\\u0065cord\":{\"Records\":[{" + source + "}]},\"\\u0052ec\\u006frds\":[" + ec2 + "," + kms + "]}", [1] },
        };
        return data;

        static string Wrap(string record) => Document(Ec2Record(), record, S3RecordMentioningKms());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_kind_of_mutation_is_kept_or_dropped_as_a_full_parse_decides(string name, string document, int[] expected)
    {
        var bytes = Encoding.UTF8.GetBytes(document);
        var reference = Reference(bytes);
        Assert.True(reference.Kept.SequenceEqual(expected.Select(i => (long)i)), $"{name}: the case itself is wrong, the full parse keeps [{string.Join(",", reference.Kept)}]");
        foreach (var mode in new[] { new ReadMode(null, 0, false), new ReadMode(new ReaderOptions { BufferBytes = 4096 }, 7, false), new ReadMode(new ReaderOptions { BufferBytes = 4096 }, 0, true) })
        {
            var actual = await RunPipelineAsync(bytes, mode, 1);
            Assert.True(reference.Count == actual.Records, $"{name} ({mode}): {actual.Records} records");
            Assert.True(expected.Select(i => (long)i).SequenceEqual(actual.Kept), $"{name} ({mode}): kept [{string.Join(",", actual.Kept)}]");
        }
    }

    [Fact]
    public async Task Escapes_quotes_and_brackets_split_at_every_position_of_a_buffer_refill_are_scanned_as_strings()
    {
        // A KMS record with an escaped source and a userAgent of escapes and brackets, then a non-KMS record whose
        // strings look like the end of the record; a padding key moves both across the 4 KiB buffer boundary.
        const string tricky = "\\\\\\\"}]\\\"{[\\\\";
        var kms = Edit(Edit(AssumedRoleDecrypt(), "aws-sdk-go/1.44", tricky), "\"eventSource\":\"kms.amazonaws.com\"", "\"eventSource\":\"kms\\u002eamazonaws\\u002ecom\"");
        var decoy = Edit(Ec2Record(), "console.amazonaws.com", tricky + "},{\\\"eventSource\\\":\\\"kms.amazonaws.com\\\"");
        string Padded(int pad) => "{\"pad\":\"" + new string('p', pad) + "\",\"Records\":[" + Ec2Record() + "," + kms + "," + decoy + "]}";

        var options = new ReaderOptions { BufferBytes = 4096 };
        var first = Padded(0).IndexOf(tricky, StringComparison.Ordinal);
        var second = Padded(0).LastIndexOf(tricky, StringComparison.Ordinal);
        foreach (var at in new[] { first, second, Padded(0).IndexOf("\\u002e", StringComparison.Ordinal) })
        {
            for (var pad = Math.Max(0, 4096 - at - tricky.Length - 2); pad <= 4096 - at + 2; pad++)
            {
                var bytes = Encoding.UTF8.GetBytes(Padded(pad));
                var actual = await RunPipelineAsync(bytes, new ReadMode(options, 0, false), pad);
                Assert.True(actual.Records == 3 && actual.Kept.SequenceEqual([1L]), $"pad {pad}: {actual.Records} records, kept [{string.Join(",", actual.Kept)}]");
            }
        }
    }

    [Fact]
    public async Task Backslash_runs_quotes_and_brackets_at_64_byte_block_edges_and_refills_are_scanned_as_strings()
    {
        // The pre-scan classifies 64-byte blocks from the byte after a record's '{'. A string of a backslash run of
        // 1 to 5 (odd runs escape a quote), brackets and multi-byte UTF-8 is moved one byte at a time across two block
        // edges, in a KMS record and in a decoy whose string looks like the end of the record; records shorter than a
        // block sit around them, and a top-level pad of random length moves the 4 KiB buffer boundary.
        var rng = new Random(Seed);
        var modes = new[] { new ReadMode(new ReaderOptions { BufferBytes = 4096 }, 0, false), new ReadMode(new ReaderOptions { BufferBytes = 4096 }, 64, false), new ReadMode(null, 7, false) };
        string[] shorts = ["{}", "{\"k\":\"\\\\\\\"}\"}", "{\"é\":[\"]\",{\"日\":\"😀\"}]}"];
        var runs = 0;
        for (var run = 1; run <= 5; run++)
        {
            var escapes = new string('\\', run) + (run % 2 == 1 ? "\"" : string.Empty);
            for (var pad = 0; pad < 2 * JsonStructure.BlockBytes + 2; pad++)
            {
                var text = new string('x', pad) + escapes + "}]é日😀{[" + escapes;
                var kms = Edit(AssumedRoleDecrypt(), "aws-sdk-go/1.44", text);
                var decoy = Edit(Ec2Record(), "console.amazonaws.com", text + "}]},{\\\"eventSource\\\":\\\"kms.amazonaws.com\\\"");
                var document = "{\"pad\":\"" + new string('p', rng.Next(4200)) + "\",\"Records\":[" + string.Join(",", shorts[0], kms, shorts[1], decoy, shorts[2]) + "]}";
                var bytes = Encoding.UTF8.GetBytes(document);
                Assert.Equal([1L], Reference(bytes).Kept);
                foreach (var mode in modes)
                {
                    var actual = await RunPipelineAsync(bytes, mode, pad);
                    Assert.True(actual.Records == 5 && actual.Kept.SequenceEqual([1L]), $"run {run}, pad {pad} ({mode}): {actual.Records} records, kept [{string.Join(",", actual.Kept)}]");
                    runs++;
                }
            }
        }

        output.WriteLine($"{runs} documents read");
    }

    // A lone surrogate escape is valid JSON grammar and JsonDocument reads these documents; the parser keeps such a
    // value as written instead of failing the record (found by the property test above).
    [Theory]
    [InlineData("""{"Records":[{"eventSource":"s3.amazonaws.com","userAgent":"\ud800"}]}""", new int[0])]
    [InlineData("""{"Records":[{"eventSource":"kms.amazonaws.com","eventID":"e","eventName":"Decrypt","eventTime":"2026-01-15T10:05:12Z","userAgent":"\ud800"}]}""", new[] { 0 })]
    public async Task A_lone_surrogate_escape_in_a_parsed_field_is_decided_as_a_full_parse_decides(string document, int[] expected)
    {
        var bytes = Encoding.UTF8.GetBytes(document);
        Assert.Equal(expected.Select(i => (long)i), Reference(bytes).Kept);
        var actual = await RunPipelineAsync(bytes, new ReadMode(null, 0, false), 1);
        Assert.Equal(expected.Select(i => (long)i), actual.Kept);
    }

    private sealed record Doc(string Text, byte[] Bytes, List<string> Records);

    private sealed record PipelineAnswer(List<long> Kept, long Records, long KmsRecords, long CandidatesParsed);

    private sealed record ReadMode(ReaderOptions? Options, int MaxChunk, bool Gzip)
    {
        public static ReadMode Pick(Random rng) => new(
            rng.Next(2) == 0 ? new ReaderOptions { BufferBytes = 4096 } : null,
            rng.Next(3) switch { 0 => 0, 1 => 64, _ => 5000 },
            rng.Next(5) == 0);

        public override string ToString() =>
            $"buffer {(Options ?? ReaderOptions.Default).BufferBytes} B, {(MaxChunk == 0 ? "whole reads" : $"reads of 1..{MaxChunk} B")}{(Gzip ? ", gzip" : string.Empty)}";
    }

    /// <summary>Raw JSON text written as is.</summary>
    private sealed record RawJson(string Text);

    private static async Task<PipelineAnswer> RunPipelineAsync(byte[] json, ReadMode mode, int seed)
    {
        var body = mode.Gzip ? Gzip(json) : json;
        var source = SourceContext.ForS3("trail-bucket", "prescan.json.gz", ReaderHarness.IngestTime);
        var collector = new KmsRecordCollector(source, mode.Options);
        await using var stream = new ChunkedStream(body, mode.MaxChunk, seed);
        var result = await CloudTrailObjectReader.ReadAsync(stream, collector, source, mode.Options, CancellationToken.None);
        var kept = BatchRows.Read(collector.Batch).Select(r => Convert.ToInt64(r["src_record_index"], CultureInfo.InvariantCulture)).ToList();
        return new PipelineAnswer(kept, result.Records, result.KmsRecords, collector.CandidatesParsed);
    }

    /// <summary>The naive answer: parse the whole document, keep Records[i] whose last top-level eventSource is the KMS string.</summary>
    private static (List<long> Kept, long Count) Reference(byte[] json)
    {
        using var doc = JsonDocument.Parse(json);
        JsonElement? records = null;
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.NameEquals("Records"))
            {
                records = p.Value;
            }
        }

        var kept = new List<long>();
        long i = 0;
        foreach (var record in records!.Value.EnumerateArray())
        {
            JsonElement? source = null;
            foreach (var p in record.EnumerateObject())
            {
                if (p.NameEquals("eventSource"))
                {
                    source = p.Value;
                }
            }

            if (source is { ValueKind: JsonValueKind.String } s && string.Equals(s.GetString(), Kms, StringComparison.Ordinal))
            {
                kept.Add(i);
            }

            i++;
        }

        return (kept, i);
    }

    private static bool IsKms(JsonObject record) =>
        record["eventSource"] is JsonValue v && v.GetValueKind() == JsonValueKind.String && string.Equals(v.GetValue<string>(), Kms, StringComparison.Ordinal);

    private static Doc BuildDocument(Random rng, List<JsonObject> pool)
    {
        var count = rng.Next(8) == 0 ? rng.Next(0, 3) : rng.Next(3, 40);
        var records = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            records.Add(RenderRecord(rng, pool[rng.Next(pool.Count)]));
        }

        var props = new List<(string Key, object? Value)>();
        var extras = ExtraTopLevelKeys.OrderBy(_ => rng.Next()).Take(rng.Next(4)).ToList();
        var recordsAt = rng.Next(extras.Count + 1);
        for (var k = 0; k < extras.Count; k++)
        {
            if (k == recordsAt)
            {
                props.Add(("Records", null));
            }

            object? value = rng.Next(6) == 0 ? (object?)JsonValue.Create(LongString(rng, 200, 6000)) : new RawJson(ExtraTopLevelValues[rng.Next(ExtraTopLevelValues.Length)]);
            props.Add((extras[k], value));
        }

        if (recordsAt == extras.Count)
        {
            props.Add(("Records", null));
        }

        props[props.FindIndex(p => p.Key == "Records")] = ("Records", records.Select(r => (object?)new RawJson(r)).ToList());
        var writer = new RandomJsonWriter(rng, PickLayout(rng)) { KeyEscapeRate = rng.Next(10) == 0 ? 0.05 : 0 };
        writer.Gap();
        writer.WriteValue(props);
        writer.Gap();
        var text = writer.ToString();
        return new Doc(text, Encoding.UTF8.GetBytes(text), records);
    }

    private static Layout PickLayout(Random rng) => rng.Next(8) switch
    {
        0 or 1 or 2 => Layout.Compact,
        3 or 4 => Layout.Spaced,
        5 => Layout.Indented,
        6 => Layout.IndentedCrlf,
        _ => Layout.SystemTextJson,
    };

    /// <summary>
    /// Writes a record after a few mutations. Only a record that was KMS to begin with (so it projects) may end up
    /// with a KMS source; every other record only ever gets sources that are not KMS, or a KMS duplicate that an
    /// existing later source overrides.
    /// </summary>
    private static string RenderRecord(Random rng, JsonObject original)
    {
        var props = original.Select(p => (p.Key, (object?)p.Value)).ToList();
        var projectable = IsKms(original);
        if (rng.Next(3) == 0)
        {
            Shuffle(rng, props);
        }

        var mutations = rng.Next(3) == 0 ? 0 : rng.Next(1, 5);
        for (var m = 0; m < mutations; m++)
        {
            Mutate(rng, props, projectable);
        }

        var writer = new RandomJsonWriter(rng, PickLayout(rng))
        {
            ShuffleObjects = rng.Next(3) == 0,
            ValueEscapeRate = rng.Next(4) == 0 ? 0.03 : 0,
            KeyEscapeRate = rng.Next(8) == 0 ? 0.05 : 0,
        };
        writer.WriteValue(props);
        return writer.ToString();
    }

    private static void Mutate(Random rng, List<(string Key, object? Value)> props, bool projectable)
    {
        switch (rng.Next(11))
        {
            case 0: // eventSource with escapes
                SetLast(rng, props, "eventSource", new RawJson(projectable && rng.Next(3) > 0 ? KmsEscaped[rng.Next(KmsEscaped.Length)] : NotKmsSources[rng.Next(2)]));
                break;
            case 1: // sources that contain or resemble the KMS bytes without being KMS
                SetLast(rng, props, "eventSource", new RawJson(NotKmsSources[rng.Next(NotKmsSources.Length)]));
                break;
            case 2: // eventSource inside nested objects
                var nested = rng.Next(3) switch { 0 => "requestParameters", 1 => "userIdentity", _ => "details" };
                var i = props.FindLastIndex(p => p.Key == nested);
                var obj = i >= 0 && props[i].Value is JsonObject o ? o.DeepClone().AsObject() : new JsonObject();
                obj["eventSource"] = Kms;
                obj["inner"] = new JsonObject { ["eventSource"] = Kms, ["list"] = new JsonArray(new JsonObject { ["eventSource"] = Kms }) };
                SetLast(rng, props, nested, obj);
                break;
            case 3: // eventSource inside a string value
                var agent = props.LastOrDefault(p => p.Key == "userAgent").Value is JsonValue a && a.GetValueKind() == JsonValueKind.String ? a.GetValue<string>() : string.Empty;
                SetLast(rng, props, "userAgent", JsonValue.Create(agent + " {\"eventSource\":\"kms.amazonaws.com\"}"));
                break;
            case 4: // the KMS text as the value of other keys
                SetLast(rng, props, rng.Next(2) == 0 ? "sourceIPAddress" : "eventSourceHint", JsonValue.Create(Kms));
                break;
            case 5: // the KMS text in arrays
                SetLast(rng, props, "tags", new JsonArray("eventSource", Kms, new JsonObject { ["eventSource"] = Kms }, new JsonArray(Kms, null, 1, true)));
                break;
            case 6: // escaped quotes, backslashes, brackets inside strings
                var tricky = TrickyStrings[rng.Next(TrickyStrings.Length)];
                SetLast(rng, props, rng.Next(3) switch { 0 => "userAgent", 1 => "note", _ => tricky }, JsonValue.Create(tricky));
                break;
            case 7: // non-ASCII text in values and keys
                var text = NonAscii[rng.Next(NonAscii.Length)];
                SetLast(rng, props, rng.Next(3) switch { 0 => "userAgent", 1 => "noté", _ => text }, JsonValue.Create(text));
                break;
            case 8: // duplicated eventSource
                var last = props.FindLastIndex(p => p.Key == "eventSource");
                if (last < 0)
                {
                    break;
                }

                if (projectable)
                {
                    object? other = rng.Next(3) switch { 0 => null, 1 => JsonValue.Create(Kms), _ => JsonValue.Create("s3.amazonaws.com") };
                    props.Insert(rng.Next(2) == 0 ? last : last + 1, ("eventSource", other));
                }
                else
                {
                    props.Insert(last, ("eventSource", JsonValue.Create(Kms)));
                }

                break;
            case 9: // eventSource missing, null or not a string
                switch (rng.Next(4))
                {
                    case 0:
                        props.RemoveAll(p => p.Key == "eventSource");
                        break;
                    case 1:
                        SetLast(rng, props, "eventSource", null);
                        break;
                    default:
                        SetLast(rng, props, "eventSource", rng.Next(2) == 0 ? new JsonArray(Kms) : new JsonObject { ["eventSource"] = Kms });
                        break;
                }

                break;
            default: // very long string values
                SetLast(rng, props, rng.Next(2) == 0 ? "userAgent" : "longNote", JsonValue.Create(LongString(rng, 2_000, 24_000)));
                break;
        }
    }

    /// <summary>Replaces the value of the last <paramref name="key"/>, or adds the key at a random position.</summary>
    private static void SetLast(Random rng, List<(string Key, object? Value)> props, string key, object? value)
    {
        var i = props.FindLastIndex(p => p.Key == key);
        if (i >= 0)
        {
            props[i] = (key, value);
        }
        else
        {
            props.Insert(rng.Next(props.Count + 1), (key, value));
        }
    }

    private static string LongString(Random rng, int min, int max)
    {
        var length = rng.Next(min, max);
        var sb = new StringBuilder(length + 40);
        while (sb.Length < length)
        {
            sb.Append(rng.Next(200) == 0 ? "\"eventSource\":\"kms.amazonaws.com\"" : LongStringPieces[rng.Next(LongStringPieces.Length)]);
        }

        return sb.ToString();
    }

    private static void Shuffle<T>(Random rng, List<T> list)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }

    private static JsonNode Reversed(JsonNode node) => node switch
    {
        JsonObject o => new JsonObject(o.Reverse().Select(p => KeyValuePair.Create(p.Key, p.Value is null ? null : Reversed(p.Value)))),
        JsonArray a => new JsonArray(a.Select(e => e is null ? null : Reversed(e)).ToArray()),
        _ => node.DeepClone(),
    };

    private static string Edit(string text, string from, string to)
    {
        if (!text.Contains(from, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"test case error: '{from}' is not in the record");
        }

        return text.Replace(from, to, StringComparison.Ordinal);
    }

    private static string Prefix(string text, int length) => text.Length <= length ? text : text[..length] + $"… ({text.Length} chars)";

    /// <summary>Writes JSON with random whitespace, key order and escapes; keeps duplicate keys of property lists.</summary>
    private sealed class RandomJsonWriter(Random rng, Layout layout)
    {
        private readonly StringBuilder _sb = new();
        private int _depth;

        public bool ShuffleObjects { get; init; }

        public double ValueEscapeRate { get; init; }

        public double KeyEscapeRate { get; init; }

        public override string ToString() => _sb.ToString();

        /// <summary>Values: null, <see cref="RawJson"/>, <see cref="JsonNode"/>, a property list (object) or a value list (array).</summary>
        public void WriteValue(object? value)
        {
            switch (value)
            {
                case null:
                    _sb.Append("null");
                    break;
                case RawJson raw:
                    _sb.Append(raw.Text);
                    break;
                case List<(string Key, object? Value)> props:
                    WriteObject(props);
                    break;
                case List<object?> items:
                    WriteArray(items);
                    break;
                case JsonNode node when layout == Layout.SystemTextJson && node is JsonObject or JsonArray && rng.Next(2) == 0:
                    _sb.Append(node.ToJsonString(StjOptions[rng.Next(StjOptions.Length)]));
                    break;
                case JsonObject o:
                    var list = o.Select(p => (p.Key, (object?)p.Value)).ToList();
                    if (ShuffleObjects)
                    {
                        Shuffle(rng, list);
                    }

                    WriteObject(list);
                    break;
                case JsonArray a:
                    WriteArray(a.Select(e => (object?)e).ToList());
                    break;
                case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                    WriteString(v.GetValue<string>(), ValueEscapeRate);
                    break;
                case JsonValue v:
                    _sb.Append(v.ToJsonString());
                    break;
                default:
                    throw new InvalidOperationException($"cannot write {value.GetType()}");
            }
        }

        public void Gap()
        {
            if (layout == Layout.Spaced && rng.Next(2) == 0)
            {
                for (var n = rng.Next(1, 4); n > 0; n--)
                {
                    _sb.Append(" \t\r\n"[rng.Next(4)]);
                }
            }
        }

        private void Break()
        {
            switch (layout)
            {
                case Layout.Indented:
                    _sb.Append('\n').Append(' ', 2 * _depth);
                    break;
                case Layout.IndentedCrlf:
                    _sb.Append("\r\n").Append('\t', _depth);
                    break;
                default:
                    Gap();
                    break;
            }
        }

        private void WriteObject(List<(string Key, object? Value)> props)
        {
            _sb.Append('{');
            _depth++;
            for (var i = 0; i < props.Count; i++)
            {
                if (i > 0)
                {
                    Gap();
                    _sb.Append(',');
                }

                Break();
                WriteString(props[i].Key, KeyEscapeRate);
                Gap();
                _sb.Append(':');
                if (layout is Layout.Indented or Layout.IndentedCrlf)
                {
                    _sb.Append(' ');
                }

                Gap();
                WriteValue(props[i].Value);
            }

            _depth--;
            Break();
            _sb.Append('}');
        }

        private void WriteArray(List<object?> items)
        {
            _sb.Append('[');
            _depth++;
            for (var i = 0; i < items.Count; i++)
            {
                if (i > 0)
                {
                    Gap();
                    _sb.Append(',');
                }

                Break();
                WriteValue(items[i]);
            }

            _depth--;
            Break();
            _sb.Append(']');
        }

        private void WriteString(string s, double escapeRate)
        {
            _sb.Append('"');
            for (var i = 0; i < s.Length; i++)
            {
                var c = s[i];
                var pair = char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]);
                if (escapeRate > 0 && rng.NextDouble() < escapeRate)
                {
                    if (c == '/' && rng.Next(2) == 0)
                    {
                        _sb.Append("\\/");
                        continue;
                    }

                    Hex(c);
                    if (pair)
                    {
                        Hex(s[++i]);
                    }

                    continue;
                }

                switch (c)
                {
                    case '"':
                        _sb.Append("\\\"");
                        break;
                    case '\\':
                        _sb.Append("\\\\");
                        break;
                    case '\n':
                        _sb.Append("\\n");
                        break;
                    case '\r':
                        _sb.Append("\\r");
                        break;
                    case '\t':
                        _sb.Append("\\t");
                        break;
                    case < ' ':
                        Hex(c);
                        break;
                    default:
                        _sb.Append(c);
                        if (pair)
                        {
                            _sb.Append(s[++i]);
                        }

                        break;
                }
            }

            _sb.Append('"');
        }

        private void Hex(char c) => _sb.Append("\\u").Append(((int)c).ToString(rng.Next(2) == 0 ? "x4" : "X4", CultureInfo.InvariantCulture));
    }

    /// <summary>Hands out the body in reads of random sizes, so that buffer refills fall anywhere.</summary>
    private sealed class ChunkedStream(byte[] data, int maxChunk, int seed) : Stream
    {
        private readonly Random _rng = new(seed);
        private int _pos;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, data.Length - _pos);
            if (maxChunk > 0)
            {
                n = Math.Min(n, _rng.Next(1, maxChunk + 1));
            }

            data.AsSpan(_pos, n).CopyTo(buffer);
            _pos += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
