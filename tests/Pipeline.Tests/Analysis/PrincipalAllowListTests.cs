using Pipeline.Analysis;
using Pipeline.Query;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Analysis;

/// <summary>Principals left out of the behavioural findings, by name or by pattern.</summary>
public sealed class PrincipalAllowListTests : TrailDatasetTest
{
    [Theory]
    [InlineData("arn:aws:iam::111122223333:role/OrdersStack-ApiRole-*", "arn:aws:iam::111122223333:role/OrdersStack-ApiRole-1A2B3C4D5E6F", true)]
    [InlineData("arn:aws:iam::111122223333:role/OrdersStack-ApiRole-*", "arn:aws:iam::111122223333:role/OrdersStack-ApiRole-", true)]
    [InlineData("arn:aws:iam::111122223333:role/OrdersStack-ApiRole-*", "arn:aws:iam::111122223333:role/OrdersStack-Admin", false)]
    [InlineData("arn:aws:iam::111122223333:role/OrdersStack-ApiRole-*", "arn:aws:iam::444455556666:role/OrdersStack-ApiRole-1A2B", false)]
    [InlineData("arn:aws:iam::*:role/ci-*-deployer", "arn:aws:iam::444455556666:role/ci-orders-deployer", true)]
    [InlineData("arn:aws:iam::*:role/ci-*-deployer", "arn:aws:iam::444455556666:role/ci-orders-deployer-old", false)]
    [InlineData("arn:aws:iam::*:role/a*a", "arn:aws:iam::444455556666:role/a", false)]
    [InlineData("arn:aws:iam::111122223333:role/app", "arn:aws:iam::111122223333:role/app", true)]
    [InlineData("arn:aws:iam::111122223333:role/app", "arn:aws:iam::111122223333:role/App", false)]
    [InlineData("arn:aws:iam::111122223333:role/app", "arn:aws:iam::111122223333:role/app-2", false)]
    public void A_principal_is_allowed_by_its_exact_name_or_a_pattern_with_stars(string entry, string principal, bool allowed)
    {
        Assert.Equal(allowed, new PrincipalAllowList([entry]).Contains(principal));
        Assert.False(new PrincipalAllowList([entry]).Contains(null));
    }

    [Theory]
    [InlineData("*", true)]
    [InlineData("***", true)]
    [InlineData("arn:*", false)]
    [InlineData("", false)]
    public void Only_a_pattern_of_stars_alone_matches_everything(string entry, bool everything) =>
        Assert.Equal(everything, PrincipalAllowList.MatchesEverything(entry));

    [Fact]
    public async Task A_role_made_anew_on_every_deployment_is_left_out_of_new_principal_findings_by_a_pattern()
    {
        // A deployment tool names the function's role OrdersStack-ApiRole-<random> and makes a new one on each deployment:
        // each would be a new principal. Ten days of the app role (the history), then the role of today's deployment.
        for (var d = 5; d <= 14; d++)
        {
            Trail.AddLogFile(CloudTrailRecords.Document(CloudTrailRecords.AssumedRoleDecrypt($"app-{d}", "worker", $"2026-01-{d:00}T08:00:00Z")));
        }

        Trail.AddLogFile(CloudTrailRecords.Document([.. Enumerable.Range(0, 12).Select(i =>
            CloudTrailRecords.AssumedRoleDecrypt($"deploy-{i}", "fn", $"2026-01-15T10:{i:00}:00Z").Replace("service-role/app-role", "OrdersStack-ApiRole-9Z8Y7X6W5V4U", StringComparison.Ordinal))]));
        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);
        var day = new DateOnly(2026, 1, 15);

        var unfiltered = await PrincipalFindings.NewPrincipalsAsync(q, day, new AnalysisOptions(), new HashSet<string> { "111122223333" }, CancellationToken.None);
        var filtered = await PrincipalFindings.NewPrincipalsAsync(
            q, day, new AnalysisOptions { AllowedPrincipals = ["arn:aws:iam::111122223333:role/OrdersStack-ApiRole-*"] }, new HashSet<string> { "111122223333" }, CancellationToken.None);

        Assert.Equal("arn:aws:iam::111122223333:role/OrdersStack-ApiRole-9Z8Y7X6W5V4U", Assert.Single(unfiltered).Principal);
        Assert.Empty(filtered);
    }
}
