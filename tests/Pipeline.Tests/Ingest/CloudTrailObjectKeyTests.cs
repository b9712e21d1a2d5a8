using Pipeline.Ingest;

namespace Pipeline.Tests.Ingest;

public sealed class CloudTrailObjectKeyTests
{
    [Theory]
    [InlineData("AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz", "LogFile")]
    [InlineData("prefix/AWSLogs/o-abc123def4/111122223333/CloudTrail/us-east-1/2026/01/15/111122223333_CloudTrail_us-east-1_20260115T1005Z_Mu0KsOhtH1ar15ZZ.json.gz", "LogFile")]
    [InlineData("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/15/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20260115T100512Z.json.gz", "Digest")]
    [InlineData("AWSLogs/o-abc123def4/111122223333/CloudTrail-Insight/us-east-1/2026/01/15/111122223333_CloudTrail-Insight_us-east-1_20260115T1005Z_abc.json.gz", "Insight")]
    [InlineData("AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/15/readme.txt", "Other")]
    [InlineData("AWSLogs/111122223333/elasticloadbalancing/us-east-1/2026/01/15/x.log.gz", "Other")]
    [InlineData("downloads/111122223333_CloudTrail_us-east-1_20260115T1005Z_Mu0KsOhtH1ar15ZZ.json.gz", "LogFile")]
    public void Keys_are_classified_before_download(string key, string expected) =>
        Assert.Equal(expected, CloudTrailObjectKey.Classify(key).ToString());

    [Fact]
    public void Organization_trail_keys_yield_the_organization_account_and_region()
    {
        Assert.True(CloudTrailObjectKey.TryParse("AWSLogs/o-abc123def4/111122223333/CloudTrail/eu-west-1/2026/01/15/111122223333_CloudTrail_eu-west-1_20260115T1005Z_Mu0KsOhtH1ar15ZZ.json.gz", out var org, out var account, out var region));
        Assert.Equal("o-abc123def4", org);
        Assert.Equal("111122223333", account);
        Assert.Equal("eu-west-1", region);
    }

    [Fact]
    public void A_key_whose_file_name_account_differs_from_its_folder_is_not_standard()
    {
        Assert.False(CloudTrailObjectKey.IsStandardLayout("AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/15/999988887777_CloudTrail_us-east-1_20260115T1005Z_Mu0KsOhtH1ar15ZZ.json.gz"));
    }

    [Theory]
    [InlineData("AWSLogs/o-abc123def4/111122223333/CloudTrail/us-east-1/2026/01/16/111122223333_CloudTrail_us-east-1_20260115T2355Z_Mu0KsOhtH1ar15ZZ.json.gz", "2026-01-15")]
    [InlineData("downloads/111122223333_CloudTrail_us-east-1_20251231T1005Z_abc.json", "2025-12-31")]
    public void The_delivery_date_comes_from_the_file_name(string key, string expected)
    {
        Assert.True(CloudTrailObjectKey.TryGetDeliveryDate(key, out var date));
        Assert.Equal(expected, date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/15/readme.txt")]
    [InlineData("AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/15/111122223333_CloudTrail_us-east-1_20261341T1005Z_abc.json.gz")]
    public void A_name_without_a_valid_delivery_date_has_none(string key) =>
        Assert.False(CloudTrailObjectKey.TryGetDeliveryDate(key, out _));
}
