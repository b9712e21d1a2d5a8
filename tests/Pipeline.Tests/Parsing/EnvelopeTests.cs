using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Tests.Support;
using static Pipeline.Tests.Support.CloudTrailRecords;

namespace Pipeline.Tests.Parsing;

/// <summary>
/// CloudTrail records that reach S3 inside another service's envelope: EventBridge events ("AWS API Call via
/// CloudTrail", archived by Firehose one per line or back to back) and CloudWatch Logs subscription batches (a trail
/// sent to CloudWatch Logs, streamed on by Firehose: gzip members of <c>{"messageType":...,"logEvents":[...]}</c>).
/// </summary>
public sealed class EnvelopeTests
{
    private static readonly string[] Records = Mixed("env");

    private static string EventBridge(string record, bool sorted = false)
    {
        var source = JsonNode.Parse(record)!["eventSource"]!.GetValue<string>().Replace(".amazonaws.com", string.Empty, StringComparison.Ordinal);
        var e = new JsonObject
        {
            ["version"] = "0",
            ["id"] = Guid.NewGuid().ToString(),
            ["detail-type"] = "AWS API Call via CloudTrail",
            ["source"] = "aws." + source,
            ["account"] = "111122223333",
            ["time"] = "2026-01-15T10:05:12Z",
            ["region"] = "us-east-1",
            ["resources"] = new JsonArray(),
            ["detail"] = JsonNode.Parse(record),
        };
        return sorted
            ? new JsonObject(e.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))).ToJsonString()
            : e.ToJsonString();
    }

    private static string LogBatch(string messageType, params string[] messages) =>
        new JsonObject
        {
            ["messageType"] = messageType,
            ["owner"] = "111122223333",
            ["logGroup"] = "aws-cloudtrail-logs-111122223333",
            ["logStream"] = "111122223333_CloudTrail_us-east-1",
            ["subscriptionFilters"] = new JsonArray("to-firehose"),
            ["logEvents"] = new JsonArray(messages.Select((m, i) => (JsonNode)new JsonObject { ["id"] = $"3{i}", ["timestamp"] = 1768471512000 + i, ["message"] = m }).ToArray()),
        }.ToJsonString();

    public static TheoryData<string, bool> EventBridgeArchives => new()
    {
        { string.Join("\n", Records.Select(r => EventBridge(r))) + "\n", false },
        { string.Concat(Records.Select(r => EventBridge(r))), true }, // Firehose without a delimiter, gzipped
        { string.Join("\n", Records.Select(r => EventBridge(r, sorted: true))), false }, // jq -S
    };

    [Theory]
    [MemberData(nameof(EventBridgeArchives))]
    public async Task Eventbridge_events_give_the_same_rows_as_a_log_document(string archive, bool gzip)
    {
        var fromLog = await ReaderHarness.ReadJsonAsync(Document(Records));

        var fromEvents = gzip ? await ReaderHarness.ReadGzipAsync(archive) : await ReaderHarness.ReadJsonAsync(archive);

        Assert.Equal((4L, 2L), (fromEvents.Result.Records, fromEvents.Result.KmsRecords));
        ReaderHarness.AssertSameRows(fromLog.Rows, fromEvents.Rows);
    }

    [Fact]
    public async Task Cloudwatch_logs_batches_in_gzip_members_give_the_same_rows_as_a_log_document()
    {
        // Firehose's delivery: one gzip member per batch, a health-check control message first.
        var control = LogBatch("CONTROL_MESSAGE", "CWL CONTROL MESSAGE: Checking health of destination Firehose.");
        var fromLog = await ReaderHarness.ReadJsonAsync(Document(Records));

        var fromBatches = await ReaderHarness.ReadAsync(
            [.. Gzip(control), .. Gzip(LogBatch("DATA_MESSAGE", Records[0], Records[1])), .. Gzip(LogBatch("DATA_MESSAGE", Records[2], Records[3]))]);

        Assert.Equal((4L, 2L), (fromBatches.Result.Records, fromBatches.Result.KmsRecords));
        ReaderHarness.AssertSameRows(fromLog.Rows, fromBatches.Rows);
    }

    [Theory]
    [InlineData("""{"version":"1.2.0","name":"my-app"}""")]
    [InlineData("""{"version":"0","detail-type":"Scheduled Event","detail":"not an object"}""")]
    [InlineData("""{"messageType":"DATA_MESSAGE","owner":"111122223333"}""")]
    [InlineData("""{"owner":"alice","repo":"pipeline"}""")]
    public async Task Json_that_only_starts_like_an_envelope_is_no_log_document(string json)
    {
        var ex = await ReaderHarness.FailsAsync(Gzip(json + "\n"));

        Assert.True(ex.NotALogDocument, ex.Reason);
    }

    [Fact]
    public async Task An_event_without_its_record_after_the_first_is_an_error_naming_it()
    {
        var archive = EventBridge(Records[0]) + "\n" + """{"version":"0","detail-type":"AWS API Call via CloudTrail"}""" + "\n";

        var ex = await ReaderHarness.FailsAsync(Gzip(archive));

        Assert.False(ex.NotALogDocument);
        Assert.Contains("EventBridge event 1 has no 'detail' object", ex.Reason, StringComparison.Ordinal);
    }
}
