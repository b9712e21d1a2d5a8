using System.Text;
using System.Text.Json;
using Pipeline.Tests.Support;
using static Pipeline.Tests.Support.CloudTrailRecords;

namespace Pipeline.Tests.Parsing;

/// <summary>
/// A bare JSON array of records (<c>jq '.Records' log.json</c>, exports of published datasets) or of LookupEvents
/// events (<c>aws cloudtrail lookup-events --query Events</c>), read like <c>Records[]</c>.
/// </summary>
public sealed class BareArrayTests
{
    private static readonly string[] Records = Mixed("array");

    public static TheoryData<string> Arrays => new()
    {
        "[" + string.Join(",", Records) + "]",
        "\uFEFF[\n  " + string.Join(",\n  ", Records) + "\n]\n",
        JsonSerializer.Serialize(Records.Select(r => JsonDocument.Parse(r).RootElement), new JsonSerializerOptions { WriteIndented = true }),
        LookupEventsTests.EventsOf(Records).ToJsonString(new JsonSerializerOptions { WriteIndented = true }),
    };

    [Theory]
    [MemberData(nameof(Arrays))]
    public async Task A_bare_array_gives_the_same_rows_as_a_log_document(string array)
    {
        var fromLog = await ReaderHarness.ReadJsonAsync(Document(Records));
        var fromArray = await ReaderHarness.ReadGzipAsync(array);

        Assert.Equal((4L, 2L), (fromArray.Result.Records, fromArray.Result.KmsRecords));
        ReaderHarness.AssertSameRows(fromLog.Rows, fromArray.Rows);
    }

    [Fact]
    public async Task An_empty_array_is_an_empty_list_of_records()
    {
        var (result, rows) = await ReaderHarness.ReadJsonAsync(" [ ] ");

        Assert.Equal(0L, result.Records);
        Assert.Empty(rows);
    }

    // Other JSON arrays next to the logs are passed over by a folder walk; a damaged array of records is an error.
    [Theory]
    [InlineData("[1,2,3]", true)]
    [InlineData("""[{"name":"alice"},{"name":"bob"}]""", true)]
    [InlineData("[{}]", true)]
    [InlineData("""[["eventVersion"]]""", true)]
    [InlineData("""[{"eventVersion":"1.08","eventSource":"kms.amazonaws.com"},42]""", false)]
    [InlineData("""[{"eventVersion":"1.08","eventSource":"kms.amazonaws.com"}""", false)]
    [InlineData("""[{"eventVersion":"1.08","eventSource":"kms.amazonaws.com"}] []""", false)]
    [InlineData("""[{"EventId":"e-1","EventName":"Decrypt"}]""", false)]
    public async Task A_failure_says_whether_an_array_is_no_log_at_all_or_damaged_records(string json, bool notALog)
    {
        var ex = await ReaderHarness.FailsAsync(Gzip(json));

        Assert.True(notALog == ex.NotALogDocument, ex.Reason);
    }

    [Fact]
    public async Task A_truncated_array_names_the_element_it_ends_in()
    {
        var text = "[" + Records[0] + "," + Records[1] + "," + Records[3][..150];

        var ex = await ReaderHarness.FailsAsync(Encoding.UTF8.GetBytes(text));

        Assert.Equal(2, ex.RecordIndex);
        Assert.Contains("element [2]", ex.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public async Task An_array_split_across_many_small_reads_is_reassembled(int chunk)
    {
        var array = "[" + string.Join(",\n", Enumerable.Range(0, 30).Select(i => i % 3 == 0 ? AssumedRoleDecrypt($"split-{i}") : Ec2Record($"x-{i}"))) + "]";
        var (result, eventIds) = await ReaderHarness.ReadTrickledAsync(array, chunk);

        Assert.Equal((30L, 10L), (result.Records, result.KmsRecords));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"split-{i * 3}"), eventIds);
    }
}
