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
}
