using System.IO.Compression;
using System.Text;
using Pipeline.Parsing;
using Pipeline.Tests.Support;
using static Pipeline.Tests.Support.CloudTrailRecords;

namespace Pipeline.Tests.Parsing;

public sealed class BadInputTests
{
    [Fact]
    public async Task Truncated_gzip_is_reported_with_the_object_name()
    {
        var gz = Gzip(Document(AssumedRoleDecrypt(), AssumedRoleDecrypt("e2")));
        var ex = await ReaderHarness.FailsAsync(gz[..(gz.Length / 2)]);
        Assert.Contains("test.json.gz", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Reason.Contains("truncated", StringComparison.Ordinal) || ex.Reason.Contains("gzip", StringComparison.Ordinal), ex.Reason);
    }

    // GZipStream by default takes the end of its input for the end of the data: a file cut after its JSON document, or
    // a JSON-lines file cut at a flushed line, read as complete and shorter, its CRC-32 never checked (StrictGzip).
    [Theory]
    [InlineData(1)] // the last byte of the trailer (its length field)
    [InlineData(8)] // the whole CRC-32 and length trailer
    [InlineData(9)] // the trailer and the last byte of the final block
    public async Task A_gzip_file_cut_short_after_a_complete_document_is_an_incomplete_file_not_a_shorter_one(int cut)
    {
        var gz = Gzip(Document(AssumedRoleDecrypt(), AssumedRoleDecrypt("e2")));

        var ex = await ReaderHarness.FailsAsync(gz[..^cut]);

        Assert.Contains("test.json.gz", ex.Message, StringComparison.Ordinal);
        Assert.Contains("the file is incomplete", ex.Reason, StringComparison.Ordinal);
        Assert.Contains("fetch it again", ex.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2)] // the magic bytes only
    [InlineData(5)] // inside the header
    public async Task A_gzip_file_cut_inside_its_header_is_incomplete_not_empty(int keep)
    {
        var gz = Gzip(Document(AssumedRoleDecrypt()));

        var ex = await ReaderHarness.FailsAsync(gz[..keep]);

        Assert.Contains("the file is incomplete", ex.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("empty", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_lines_cut_at_a_flushed_line_are_an_incomplete_file()
    {
        // A writer that flushes after each line (a log shipper) leaves a byte-aligned block boundary there: cut at one,
        // the decoder has produced every line so far and nothing looks broken but the missing end.
        using var ms = new MemoryStream();
        long cutAt;
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(Encoding.UTF8.GetBytes(AssumedRoleDecrypt("line-1") + "\n"));
            gz.Flush();
            gz.Write(Encoding.UTF8.GetBytes(AssumedRoleDecrypt("line-2") + "\n"));
            gz.Flush();
            cutAt = ms.Length;
            gz.Write(Encoding.UTF8.GetBytes(AssumedRoleDecrypt("line-3") + "\n"));
        }

        var ex = await ReaderHarness.FailsAsync(ms.ToArray()[..(int)cutAt]);

        Assert.Contains("the file is incomplete", ex.Reason, StringComparison.Ordinal);
    }

    // A body whose bytes changed in transit or at rest must fail the object (the gzip trailer's CRC-32), not yield rows.
    [Fact]
    public async Task A_gzip_object_whose_checksum_does_not_match_its_content_is_refused()
    {
        var gz = Gzip(Document(AssumedRoleDecrypt(), AssumedRoleDecrypt("e2")));
        var crcAt = gz.Length - 8; // gzip trailer: CRC-32 then the size, little-endian
        gz[crcAt] ^= 0x01;
        var ex = await ReaderHarness.FailsAsync(gz);
        Assert.Contains("test.json.gz", ex.Message, StringComparison.Ordinal);
        Assert.Contains("gzip data is corrupt", ex.Reason, StringComparison.Ordinal);
        Assert.Contains("CRC-32", ex.Reason, StringComparison.Ordinal);
        Assert.Contains("fetch it again", ex.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("unsupported compression method", ex.Reason, StringComparison.Ordinal); // .NET's words for any zlib data error
    }

    [Fact]
    public async Task A_file_that_is_neither_gzip_nor_json_is_refused_at_byte_zero()
    {
        var ex = await ReaderHarness.FailsAsync(Encoding.UTF8.GetBytes("PK\u0003\u0004 this is a zip"));
        Assert.Equal(0, ex.ByteOffset);
        Assert.Contains("not gzip and not JSON", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gzip_of_text_that_is_not_json_is_refused()
    {
        var ex = await ReaderHarness.FailsAsync(Gzip("hello world, not json"));
        Assert.Contains("expected a JSON object", ex.Reason, StringComparison.Ordinal);
    }

    /// <summary>A document whose second record, a KMS one, has <paramref name="find"/> replaced: the reader must fail there.</summary>
    private static async Task<CloudTrailFormatException> FailsInSecondRecordAsync(string find, string replace)
    {
        var broken = AssumedRoleDecrypt().Replace(find, replace, StringComparison.Ordinal);
        var ex = await ReaderHarness.FailsAsync(Gzip(Document(Ec2Record(), broken)));
        Assert.Equal(1, ex.RecordIndex);
        return ex;
    }

    [Fact]
    public async Task Invalid_json_inside_a_kms_record_names_the_record()
    {
        var ex = await FailsInSecondRecordAsync("\"readOnly\":true", "\"readOnly\":tru");
        Assert.Contains("invalid JSON", ex.Reason, StringComparison.Ordinal);
        Assert.True(ex.ByteOffset > 0);
    }

    // System.Text.Json quotes a broken literal with everything after it up to a delimiter: the rest of the record, with
    // its identity, key and encryption context, went into the log line and the ingest summary.
    [Fact]
    public async Task A_broken_literal_is_reported_without_the_records_text()
    {
        var ex = await FailsInSecondRecordAsync("\"readOnly\":true,", "\"readOnly\":tru,");

        Assert.Contains("invalid JSON literal. Expected the literal 'true'", ex.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("eventVersion", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("arn:aws", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Reason.Length < 120, ex.Reason);
    }

    // An unescaped quote inside a string turns the rest of the file into one string: the reader only notices at the end
    // of the data, so it names the record that never ended and where it starts.
    [Fact]
    public async Task An_unescaped_quote_is_located_at_the_start_of_the_record_that_never_ends()
    {
        var first = Ec2Record();
        var broken = AssumedRoleDecrypt().Replace("\"userAgent\":\"", "\"userAgent\":\"say \"hi", StringComparison.Ordinal);
        Assert.NotEqual(AssumedRoleDecrypt(), broken);
        var json = Document(first, broken, AssumedRoleDecrypt("e3"));

        var ex = await ReaderHarness.FailsAsync(Gzip(json));

        Assert.Equal(1, ex.RecordIndex);
        Assert.Equal(Encoding.UTF8.GetByteCount(json[..json.IndexOf(broken, StringComparison.Ordinal)]), ex.ByteOffset);
        Assert.Contains("unescaped quote", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_damaged_pretty_printed_record_is_located_by_its_byte_in_the_document_and_explained_plainly()
    {
        // A record pasted from documentation, with a trailing comma on its last line: the offset counts the lines before it.
        var pretty = System.Text.Json.Nodes.JsonNode.Parse(AssumedRoleDecrypt())!.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        var damaged = pretty.Insert(pretty.LastIndexOf('"') + 1, ",");
        var document = "{\"Records\": [\n" + Ec2Record() + ",\n" + damaged + "\n]}";

        var ex = await ReaderHarness.FailsAsync(System.Text.Encoding.UTF8.GetBytes(document));

        var comma = document.LastIndexOf("\",", StringComparison.Ordinal) + 1;
        Assert.Equal(1, ex.RecordIndex);
        Assert.InRange(ex.ByteOffset, comma, comma + 8);
        Assert.StartsWith("invalid JSON: ", ex.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("reader options", ex.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", ex.Reason, StringComparison.Ordinal);
        Assert.False(ex.Reason.EndsWith('.'), ex.Reason);
    }

    [Fact]
    public async Task A_document_without_records_is_reported_as_not_a_log_file()
    {
        const string digest = """{"awsAccountId":"111122223333","digestStartTime":"2026-01-15T10:00:00Z","logFiles":[{"s3Object":"x"}]}""";
        var ex = await ReaderHarness.FailsAsync(Gzip(digest));
        Assert.Contains("no 'Records' array", ex.Reason, StringComparison.Ordinal);
    }

    // What a folder walk may pass over (other JSON next to the logs) is told apart from a log document that is damaged.
    [Theory]
    [InlineData("", true)]
    [InlineData("""{"awsAccountId":"111122223333","logFiles":[]}""", true)]
    [InlineData("hello world, not json", true)]
    [InlineData("{\"level\":\"info\"}\n{\"level\":\"warn\"}\n", true)]
    [InlineData("{\"eventVersion\":\"1.08\",\"eventSource\":\"kms.amazonaws.com\"}\n{\"eventVersion\":\"1.0", false)]
    [InlineData("""{"Records":[{"eventVersion":"1.08"}""", false)]
    [InlineData("""{"Records":[]} {"digest":1}""", false)]
    [InlineData("""{"Records":[]} [1]""", false)]
    [InlineData("""{"Records":[42]}""", false)]
    [InlineData("""{"Records":null}""", false)]
    public async Task A_failure_says_whether_the_data_is_no_log_document_at_all_or_a_damaged_one(string json, bool notALog)
    {
        var ex = await ReaderHarness.FailsAsync(Gzip(json));
        Assert.True(notALog == ex.NotALogDocument, ex.Reason);
    }

    [Fact]
    public async Task A_body_that_is_neither_gzip_nor_json_is_no_log_document()
    {
        var ex = await ReaderHarness.FailsAsync(Encoding.UTF8.GetBytes("(\u00b5/\u00fd zstd frame"));
        Assert.True(ex.NotALogDocument, ex.Reason);
    }

    [Theory]
    [InlineData("""{"Records":{"a":1}}""")]
    [InlineData("""{"Records":null}""")]
    [InlineData("""{"Records":"x"}""")]
    public async Task Records_that_is_not_an_array_is_refused(string json)
    {
        var ex = await ReaderHarness.FailsAsync(Gzip(json));
        Assert.Contains("'Records' is not an array", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_record_that_is_not_an_object_is_refused_with_its_index()
    {
        var ex = await ReaderHarness.FailsAsync(Gzip("{\"Records\":[" + Ec2Record() + ",42]}"));
        Assert.Equal(1, ex.RecordIndex);
    }

    [Theory]
    [InlineData("\"eventName\":\"Decrypt\"", "\"eventName\":5", "eventName")]
    [InlineData("\"readOnly\":true", "\"readOnly\":[1]", "readOnly")]
    [InlineData("\"awsRegion\":\"us-east-1\"", "\"awsRegion\":{\"a\":1}", "awsRegion")]
    [InlineData("\"type\":\"AssumedRole\"", "\"type\":false", "userIdentity.type")]
    [InlineData("\"eventTime\":\"2026-01-15T10:05:12Z\"", "\"eventTime\":\"yesterday\"", "eventTime")]
    [InlineData("\"eventID\":\"11111111-2222-3333-4444-555555555555\"", "\"eventID\":7", "eventID")]
    public async Task A_kms_record_with_a_wrong_type_names_the_record_and_the_field(string from, string to, string field)
    {
        var ex = await ReaderHarness.FailsAsync(Gzip(Document(Ec2Record(), AssumedRoleDecrypt().Replace(from, to, StringComparison.Ordinal))));
        Assert.Equal(1, ex.RecordIndex);
        Assert.Contains(field, ex.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\"eventID\":null,")]
    [InlineData("\"eventID\":\"\",")]
    public async Task A_kms_record_without_an_event_id_is_kept_with_an_id_derived_from_its_bytes(string replacement)
    {
        const string id = "\"eventID\":\"11111111-2222-3333-4444-555555555555\",";
        var trimmed = AssumedRoleDecrypt().Replace(id, replacement, StringComparison.Ordinal);
        var other = AssumedRoleDecrypt(time: "2026-01-15T10:05:13Z").Replace(id, replacement, StringComparison.Ordinal);
        Assert.NotEqual(AssumedRoleDecrypt(), trimmed);

        var (result, rows) = await ReaderHarness.ReadGzipAsync(Document(Ec2Record(), trimmed, AssumedRoleDecrypt(), trimmed, other));

        Assert.Equal(5, result.Records);
        Assert.Equal(4, rows.Count);
        Assert.Equal(3, result.DerivedEventIds); // counted, so ingest and the worker can warn
        var ids = rows.Select(r => (string)r["event_id"]!).ToList();
        Assert.Equal("11111111-2222-3333-4444-555555555555", ids[1]);
        Assert.Matches("^no-event-id:[0-9a-f]{32}$", ids[0]);
        Assert.Equal(ids[0], ids[2]);
        Assert.NotEqual(ids[0], ids[3]);
        Assert.Equal(ids[0], rows[0]["dedupe_key"]);
    }

    [Fact]
    public async Task A_wrong_type_in_a_record_that_is_not_kms_does_not_fail_the_file()
    {
        var odd = S3RecordMentioningKms().Replace("\"readOnly\":true", "\"readOnly\":{}", StringComparison.Ordinal);
        var (result, rows) = await ReaderHarness.ReadGzipAsync(Document(odd, AssumedRoleDecrypt()));
        Assert.Single(rows);
        Assert.Equal(2, result.Records);
    }

    [Theory]
    [InlineData("2026-01-15T10:05:12.123456Z", 1234560)]
    [InlineData("2026-01-15T10:05:12+00:00", 0)]
    [InlineData("2026-01-15T12:05:12+02:00", 0)]
    public async Task Timestamps_in_other_iso_forms_are_converted_to_utc(string time, long extraTicks)
    {
        var (_, rows) = await ReaderHarness.ReadGzipAsync(Document(AssumedRoleDecrypt(time: time)));
        Assert.Equal(new DateTime(2026, 1, 15, 10, 5, 12, DateTimeKind.Utc).AddTicks(extraTicks), Assert.Single(rows)["event_time"]);
    }

    [Fact]
    public async Task An_empty_object_is_reported_as_empty()
    {
        var ex = await ReaderHarness.FailsAsync([]);
        Assert.Contains("empty", ex.Reason, StringComparison.Ordinal);
        Assert.Contains("empty", (await ReaderHarness.FailsAsync(Gzip(string.Empty))).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_records_array_is_a_valid_file_with_no_rows()
    {
        var (result, rows) = await ReaderHarness.ReadGzipAsync("{\"Records\":[]}");
        Assert.Empty(rows);
        Assert.Equal(0, result.Records);
    }

    [Fact]
    public async Task A_gzip_bomb_stops_at_the_decompressed_size_cap()
    {
        var json = Document(Enumerable.Range(0, 2000).Select(i => Ec2Record($"id-{i}")).ToArray());
        var ex = await ReaderHarness.FailsAsync(Gzip(json), new ReaderOptions { MaxDecompressedBytes = 100_000, BufferBytes = 16 * 1024 });
        Assert.Contains("gzip bomb", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_record_larger_than_the_record_cap_is_refused()
    {
        var huge = AssumedRoleDecrypt().Replace("aws-sdk-go/1.44", new string('x', 200_000), StringComparison.Ordinal);
        var json = Document(Ec2Record(), huge);
        var ex = await ReaderHarness.FailsAsync(Gzip(json), new ReaderOptions { MaxRecordBytes = 64 * 1024, BufferBytes = 16 * 1024 });
        Assert.Contains("MaxRecordBytes", ex.Reason, StringComparison.Ordinal);
        Assert.Equal(1, ex.RecordIndex); // the record, by index and by where it starts
        Assert.Equal(Encoding.UTF8.GetByteCount(json[..json.IndexOf(huge, StringComparison.Ordinal)]), ex.ByteOffset);
        Assert.StartsWith("Records[1] starts here", ex.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(100)] // well under the limit: it used to be refused from ~78 % of it (the buffer's free quarter counted)
    [InlineData(2_000)]
    public async Task A_record_just_under_the_record_cap_is_read_and_one_just_over_it_is_refused(int margin)
    {
        const int Cap = 64 * 1024;
        var shell = AssumedRoleDecrypt();
        var filler = Cap - margin - Encoding.UTF8.GetByteCount(shell) + "aws-sdk-go/1.44".Length;
        var under = shell.Replace("aws-sdk-go/1.44", new string('x', filler), StringComparison.Ordinal);
        var over = shell.Replace("aws-sdk-go/1.44", new string('x', filler + margin + 1), StringComparison.Ordinal);
        var options = new ReaderOptions { MaxRecordBytes = Cap, BufferBytes = 4 * 1024 };
        Assert.Equal(Cap - margin, Encoding.UTF8.GetByteCount(under));

        var (result, rows) = await ReaderHarness.ReadAsync(Gzip(Document(Ec2Record(), under, Ec2Record("after"))), options);
        Assert.Equal(3, result.Records);
        Assert.Single(rows);

        var ex = await ReaderHarness.FailsAsync(Gzip(Document(Ec2Record(), over)), options);
        Assert.StartsWith("Records[1] starts here and is larger than MaxRecordBytes (65536 bytes)", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deeply_nested_json_in_a_kms_record_is_refused_not_crashing()
    {
        var nested = new string('[', 5000) + new string(']', 5000);
        var record = AssumedRoleDecrypt().Replace("\"responseElements\":null", "\"responseElements\":" + nested, StringComparison.Ordinal);
        var ex = await ReaderHarness.FailsAsync(Gzip(Document(record)));
        Assert.StartsWith("the record is nested deeper than Reader:MaxDepth (64); raise it if the file is genuine", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deeply_nested_record_of_another_service_does_not_fail_the_file()
    {
        // Only KMS records are parsed (README: MaxDepth applies inside a KMS record). An S3 record whose parameters hold
        // escaped quotes was parsed as a candidate all the same (an escape might have spelled kms.amazonaws.com) and its
        // depth failed the file; only \u escapes can spell it.
        var nested = new string('[', 70) + new string(']', 70);
        var s3 = Ec2Record("deep").Replace("\"responseElements\":null", "\"responseElements\":{\"note\":\"a \\\"quoted\\\" key\",\"deep\":" + nested + "}", StringComparison.Ordinal);
        Assert.Contains("\\\"quoted", s3, StringComparison.Ordinal);

        var (result, rows) = await ReaderHarness.ReadAsync(Gzip(Document(s3, AssumedRoleDecrypt("kms"))));

        Assert.Equal(2, result.Records);
        Assert.Single(rows);
    }

    [Fact]
    public async Task Concatenated_gzip_members_are_read_as_one_stream()
    {
        var doc = Encoding.UTF8.GetBytes(Document(AssumedRoleDecrypt("a"), AssumedRoleDecrypt("b")));
        var half = doc.Length / 2;
        var body = Gzip(doc[..half]).Concat(Gzip(doc[half..])).ToArray();
        var (_, rows) = await ReaderHarness.ReadAsync(body);
        Assert.Equal(2, rows.Count);
    }

    [Fact]
    public async Task Plain_json_without_gzip_and_with_a_byte_order_mark_is_accepted()
    {
        var body = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(Document(AssumedRoleDecrypt()))).ToArray();
        Assert.Single((await ReaderHarness.ReadAsync(body)).Rows);
    }

    [Theory]
    [InlineData("xyz", "after the end")]
    [InlineData("[]", "after the end")]
    [InlineData("{}", "log document 2 of the file has no 'Records' array")]
    public async Task Trailing_garbage_after_the_document_is_refused(string trailer, string reason)
    {
        var ex = await ReaderHarness.FailsAsync(Gzip(Document(AssumedRoleDecrypt()) + trailer));
        Assert.Contains(reason, ex.Reason, StringComparison.Ordinal);
        Assert.False(ex.NotALogDocument);
    }

    [Fact]
    public async Task Duplicate_keys_take_the_last_value_like_other_json_readers()
    {
        var record = AssumedRoleDecrypt().Replace("\"eventName\":\"Decrypt\"", "\"eventName\":\"Encrypt\",\"eventName\":\"Decrypt\"", StringComparison.Ordinal);
        Assert.Equal("Decrypt", Assert.Single((await ReaderHarness.ReadGzipAsync(Document(record))).Rows)["event_name"]);
    }

    [Fact]
    public async Task Invalid_utf8_in_a_kms_record_is_refused()
    {
        var bytes = Encoding.UTF8.GetBytes(Document(AssumedRoleDecrypt())).ToList();
        var at = Encoding.UTF8.GetBytes(Document(AssumedRoleDecrypt())).AsSpan().IndexOf("aws-sdk-go"u8);
        bytes[at] = 0xFF;
        var ex = await ReaderHarness.FailsAsync(Gzip(bytes.ToArray()));
        Assert.Equal(0, ex.RecordIndex);
    }

    [Fact]
    public async Task Records_split_across_many_small_reads_are_reassembled()
    {
        var records = Enumerable.Range(0, 300).Select(i => i % 3 == 0 ? AssumedRoleDecrypt($"id-{i}") : Ec2Record($"x-{i}")).ToArray();
        var body = Gzip(Document(records));
        var source = SourceContext.ForFile("slow.json.gz", ReaderHarness.IngestTime);
        var collector = new KmsRecordCollector(source, new ReaderOptions { BufferBytes = 4096 });
        await using var trickle = new TrickleStream(body, 7);
        var result = await CloudTrailObjectReader.ReadAsync(trickle, collector, source, new ReaderOptions { BufferBytes = 4096 }, CancellationToken.None);
        Assert.Equal(300, result.Records);
        Assert.Equal(100, result.KmsRecords);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"id-{i * 3}"), BatchRows.Read(collector.Batch).Select(r => (string?)r["event_id"]));
    }
}
