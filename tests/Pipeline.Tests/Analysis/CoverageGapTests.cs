using Pipeline.Analysis;

namespace Pipeline.Tests.Analysis;

public sealed class CoverageGapTests
{
    [Theory]
    [InlineData("s3://trail/AWSLogs/o-abc123def4/111122223333/CloudTrail/us-east-1/2026/01/15/111122223333_CloudTrail_us-east-1_20260115T1005Z_Mu0KsOhtH1ar15ZZ.json.gz", "111122223333", "2026-01-15")]
    [InlineData("/data/trail/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/01/16/111122223333_CloudTrail_eu-west-1_20260116T0005Z_Mu0KsOhtH1ar15ZZ.json.gz", "111122223333", "2026-01-16")]
    [InlineData("/downloads/444455556666_CloudTrail_us-east-1_20260117T2355Z_Mu0KsOhtH1ar15ZZ.json.gz", "444455556666", "2026-01-17")]
    public void The_trail_account_and_delivery_day_come_from_the_key_or_the_file_name(string location, string account, string day)
    {
        Assert.True(CoverageGaps.TryDelivery(location, out var a, out var d));
        Assert.Equal((account, DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture)), (a, d));
    }

    [Fact]
    public void Files_that_are_not_cloudtrail_log_files_are_not_counted()
    {
        Assert.False(CoverageGaps.TryDelivery("/tmp/notes.json.gz", out _, out _));
    }
}
