using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Tests.Support;
using static Pipeline.Tests.Support.CloudTrailRecords;

namespace Pipeline.Tests.Parsing;

/// <summary>
/// The output of <c>aws cloudtrail lookup-events</c> (the account's event history, no trail bucket needed): each event
/// carries its CloudTrail record as a JSON string in <c>CloudTrailEvent</c>.
/// </summary>
public sealed class LookupEventsTests
{
    private const string PutKeyPolicy = """
        {"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/admin","accountId":"111122223333","userName":"admin"},"eventTime":"2026-01-15T11:00:00Z","eventSource":"kms.amazonaws.com","eventName":"PutKeyPolicy","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15","requestParameters":{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab","policyName":"default","policy":"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"*\"}, \"Action\": \"kms:Decrypt\", \"Resource\": \"*\"}]\n}","bypassPolicyLockoutSafetyCheck":false},"responseElements":null,"requestID":"req-p","eventID":"22222222-3333-4444-5555-666666666666","readOnly":false,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}
        """;

    private static readonly string[] Records =
    [
        AssumedRoleDecrypt("lookup-1"),
        S3RecordMentioningKms(),
        Ec2Record(),
        PutKeyPolicy,
        AssumedRoleDecrypt("lookup-2", session: "caf\u00e9-\u2603"),
    ];

    /// <summary>What the CLI prints: indented, the record as an escaped string, the lookup's own fields around it, a paging token.</summary>
    private static string LookupOutput(IEnumerable<string> records) =>
        new JsonObject
        {
            ["Events"] = EventsOf(records),
            ["NextToken"] = "eyJuZXh0IjoidG9rZW4ifQ==",
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>The events of a lookup as the CLI prints them (also alone: <c>--query Events</c>).</summary>
    internal static JsonArray EventsOf(IEnumerable<string> records) =>
        new(records.Select(r =>
        {
            var record = JsonNode.Parse(r)!;
            return (JsonNode)new JsonObject
            {
                ["EventId"] = record["eventID"]!.GetValue<string>(),
                ["EventName"] = record["eventName"]!.GetValue<string>(),
                ["ReadOnly"] = "true",
                ["EventTime"] = record["eventTime"]!.GetValue<string>().Replace("Z", "+00:00", StringComparison.Ordinal),
                ["EventSource"] = record["eventSource"]!.GetValue<string>(),
                ["Resources"] = new JsonArray(new JsonObject { ["ResourceType"] = "AWS::KMS::Key", ["ResourceName"] = KeyArn }),
                ["CloudTrailEvent"] = r,
            };
        }).ToArray());

    [Fact]
    public async Task Records_in_lookup_events_output_give_the_same_rows_as_in_a_log_document()
    {
        var fromLog = await ReaderHarness.ReadJsonAsync(Document(Records));
        var fromLookup = await ReaderHarness.ReadJsonAsync(LookupOutput(Records));

        Assert.Equal((5L, 3L), (fromLookup.Result.Records, fromLookup.Result.KmsRecords));
        ReaderHarness.AssertSameRows(fromLog.Rows, fromLookup.Rows);

        Assert.Contains(fromLookup.Rows, r => r["event_name"] as string == "PutKeyPolicy" && ((string)r["policy_json"]!).Contains("\"AWS\":\"*\"", StringComparison.Ordinal));
        Assert.Contains(fromLookup.Rows, r => r["session_name"] as string == "caf\u00e9-\u2603");
    }

    // Windows PowerShell 5.1 writes "aws cloudtrail lookup-events ... > kms.json" as UTF-16 with a byte-order mark.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Lookup_events_output_saved_as_utf16_gives_the_same_rows(bool bigEndian)
    {
        var encoding = bigEndian ? Encoding.BigEndianUnicode : Encoding.Unicode;
        var text = LookupOutput(Records);
        var fromUtf8 = await ReaderHarness.ReadJsonAsync(text);

        var fromUtf16 = await ReaderHarness.ReadAsync([.. encoding.GetPreamble(), .. encoding.GetBytes(text)]);

        Assert.Equal((5L, 3L), (fromUtf16.Result.Records, fromUtf16.Result.KmsRecords));
        ReaderHarness.AssertSameRows(fromUtf8.Rows, fromUtf16.Rows);
    }

    [Fact]
    public async Task Lookup_events_one_per_line_give_the_same_rows()
    {
        // jq -c '.Events[]' of the CLI's output
        var lines = string.Join("\n", EventsOf(Records).Select(e => e!.ToJsonString())) + "\n";
        var fromLog = await ReaderHarness.ReadJsonAsync(Document(Records));

        var fromLines = await ReaderHarness.ReadGzipAsync(lines);

        Assert.Equal((5L, 3L), (fromLines.Result.Records, fromLines.Result.KmsRecords));
        ReaderHarness.AssertSameRows(fromLog.Rows, fromLines.Rows);
    }

    [Fact]
    public async Task Gzipped_lookup_events_output_is_read_too()
    {
        var (result, rows) = await ReaderHarness.ReadGzipAsync(LookupOutput(Records));

        Assert.Equal(3L, result.KmsRecords);
        Assert.Equal(3, rows.Count);
    }

    [Fact]
    public async Task An_event_without_its_record_string_is_refused_naming_the_event()
    {
        var json = LookupOutput(Records[..1]).Replace("\"CloudTrailEvent\"", "\"SomethingElse\"", StringComparison.Ordinal);

        var ex = await ReaderHarness.FailsAsync(Encoding.UTF8.GetBytes(json));

        Assert.Equal(0, ex.RecordIndex);
        Assert.Contains("Events[0] has no 'CloudTrailEvent' string", ex.Reason, StringComparison.Ordinal);
        Assert.False(ex.NotALogDocument);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("[[[[[[[[")] // unclosed brackets
    [InlineData("{\"eventSource\":\"kms.amazonaws.com\"")] // an object cut short
    [InlineData("{} {}")] // two objects
    public async Task An_event_whose_record_string_is_not_one_json_object_is_refused_not_passed_over(string damaged)
    {
        // The filter looks for KMS in the record's text; text that is not a record would simply not be KMS, and a damaged
        // event would vanish without a word.
        var events = EventsOf(Records[..2]);
        events[1]!["CloudTrailEvent"] = damaged;
        var json = new JsonObject { ["Events"] = events }.ToJsonString();

        var ex = await ReaderHarness.FailsAsync(Encoding.UTF8.GetBytes(json));

        Assert.Equal(1, ex.RecordIndex);
        Assert.Contains("Events[1] has a 'CloudTrailEvent' that is not one JSON object", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_document_with_both_records_and_events_is_refused()
    {
        var json = "{\"Records\":[" + AssumedRoleDecrypt() + "],\"Events\":[]}";

        var ex = await ReaderHarness.FailsAsync(Encoding.UTF8.GetBytes(json));

        Assert.Contains("two 'Records'", ex.Reason, StringComparison.Ordinal);
    }
}
