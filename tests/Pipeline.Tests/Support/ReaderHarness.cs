using System.Text;
using Pipeline.Parsing;

namespace Pipeline.Tests.Support;

/// <summary>Runs the real reader over bytes and returns the projected rows.</summary>
internal static class ReaderHarness
{
    public static readonly DateTime IngestTime = new(2026, 2, 1, 0, 0, 0, DateTimeKind.Utc);

    public static async Task<(ObjectReadResult Result, List<Dictionary<string, object?>> Rows)> ReadAsync(byte[] body, ReaderOptions? options = null, string name = "test.json.gz")
    {
        var source = SourceContext.ForS3("trail-bucket", name, IngestTime);
        var collector = new KmsRecordCollector(source, options);
        using var stream = new MemoryStream(body);
        var result = await CloudTrailObjectReader.ReadAsync(stream, collector, source, options, CancellationToken.None);
        return (result, BatchRows.Read(collector.Batch));
    }

    public static Task<(ObjectReadResult Result, List<Dictionary<string, object?>> Rows)> ReadJsonAsync(string json, ReaderOptions? options = null) =>
        ReadAsync(Encoding.UTF8.GetBytes(json), options);

    public static Task<(ObjectReadResult Result, List<Dictionary<string, object?>> Rows)> ReadGzipAsync(string json, ReaderOptions? options = null) =>
        ReadAsync(CloudTrailRecords.Gzip(json), options);

    public static async Task<CloudTrailFormatException> FailsAsync(byte[] body, ReaderOptions? options = null) =>
        await Assert.ThrowsAsync<CloudTrailFormatException>(() => ReadAsync(body, options));

    /// <summary>Reads plain text handed over <paramref name="chunk"/> bytes at a time through a 4 KiB buffer; returns the KMS rows' event ids.</summary>
    public static async Task<(ObjectReadResult Result, List<string?> EventIds)> ReadTrickledAsync(string text, int chunk)
    {
        var source = SourceContext.ForFile("trickled.json", IngestTime);
        var options = new ReaderOptions { BufferBytes = 4096 };
        var collector = new KmsRecordCollector(source, options);
        await using var trickle = new TrickleStream(Encoding.UTF8.GetBytes(text), chunk);
        var result = await CloudTrailObjectReader.ReadAsync(trickle, collector, source, options, CancellationToken.None);
        return (result, BatchRows.Read(collector.Batch).Select(r => (string?)r["event_id"]).ToList());
    }

    /// <summary>Asserts that two reads gave the same rows, column by column.</summary>
    public static void AssertSameRows(List<Dictionary<string, object?>> expected, List<Dictionary<string, object?>> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            foreach (var (column, value) in expected[i])
            {
                Assert.True(Equals(value, actual[i][column]), $"row {i}, {column}: {value} vs {actual[i][column]}");
            }
        }
    }
}
