using System.Text;
using Pipeline.Tests.Support;
using static Pipeline.Tests.Support.CloudTrailRecords;

namespace Pipeline.Tests.Parsing;

/// <summary>Records one after another (JSON Lines: <c>jq -c '.Records[]'</c> output, raw exports), read like <c>Records[]</c>.</summary>
public sealed class JsonLinesTests
{
    private static readonly string[] Records = Mixed("lines");

    [Theory]
    [InlineData("\n", true)]
    [InlineData("\n", false)]
    [InlineData("\r\n", true)]
    [InlineData("\n\n  ", true)] // blank lines and indentation between records
    public async Task Json_lines_of_records_give_the_same_rows_as_a_log_document(string separator, bool finalSeparator)
    {
        var lines = string.Join(separator, Records) + (finalSeparator ? separator : "");

        var fromLog = await ReaderHarness.ReadJsonAsync(Document(Records));
        var fromLines = await ReaderHarness.ReadGzipAsync(lines);

        Assert.Equal((4L, 2L), (fromLines.Result.Records, fromLines.Result.KmsRecords));
        ReaderHarness.AssertSameRows(fromLog.Rows, fromLines.Rows);
    }

    [Fact]
    public async Task Log_files_joined_with_cat_are_read_one_after_the_other_plain_or_as_gzip_members()
    {
        var first = Document(Records[0], Records[1]);
        var second = "{\"Records\":[" + Records[2] + "," + Records[3] + "]}\n";
        var fromLog = await ReaderHarness.ReadJsonAsync(Document(Records));

        var plain = await ReaderHarness.ReadJsonAsync(first + "\n" + second);
        var members = await ReaderHarness.ReadAsync([.. Gzip(first), .. Gzip(second)]);

        Assert.Equal((4L, 2L), (plain.Result.Records, plain.Result.KmsRecords));
        ReaderHarness.AssertSameRows(fromLog.Rows, plain.Rows);
        ReaderHarness.AssertSameRows(fromLog.Rows, members.Rows);
    }

    [Fact]
    public async Task A_single_record_as_a_whole_file_is_read_as_one_record()
    {
        var (result, rows) = await ReaderHarness.ReadJsonAsync(AssumedRoleDecrypt("alone"));

        Assert.Equal((1L, 1L), (result.Records, result.KmsRecords));
        Assert.Equal("alone", Assert.Single(rows)["event_id"]);
    }

    [Fact]
    public async Task A_truncated_line_is_an_error_naming_its_record()
    {
        var lines = Records[0] + "\n" + Records[1] + "\n" + Records[3][..200];

        var ex = await ReaderHarness.FailsAsync(Encoding.UTF8.GetBytes(lines));

        Assert.Equal(2, ex.RecordIndex);
        Assert.False(ex.NotALogDocument);
    }

    [Fact]
    public async Task Something_other_than_a_record_between_records_is_an_error()
    {
        var ex = await ReaderHarness.FailsAsync(Encoding.UTF8.GetBytes(Records[0] + "\n[1,2]\n"));

        Assert.Contains("expected the next record", ex.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(13)]
    public async Task Records_split_across_many_small_reads_are_reassembled_in_json_lines_too(int chunk)
    {
        // Plain text trickled a few bytes at a time: reads end inside the first key, inside records and between them.
        var lines = string.Join("\n", Enumerable.Range(0, 30).Select(i => i % 3 == 0 ? AssumedRoleDecrypt($"split-{i}") : Ec2Record($"x-{i}")));
        var (result, eventIds) = await ReaderHarness.ReadTrickledAsync(lines, chunk);

        Assert.Equal((30L, 10L), (result.Records, result.KmsRecords));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"split-{i * 3}"), eventIds);
    }
}
