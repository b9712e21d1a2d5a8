using Pipeline.Analysis;

namespace Pipeline.Tests.Analysis;

public sealed class PolicyLinterTests
{
    private static readonly HashSet<string> Known = ["111122223333", "444455556666"];

    [Fact]
    public void A_wildcard_principal_without_condition_is_critical()
    {
        const string policy = """{"Version":"2012-10-17","Statement":[{"Sid":"Open","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*"}]}""";
        var issue = Assert.Single(PolicyLinter.Lint(policy, false, Known));
        Assert.Equal((PolicyLinter.WildcardPrincipal, "Open", Severity.Critical), (issue.Rule, issue.Statement, issue.Severity));
    }

    [Fact]
    public void A_wildcard_principal_limited_by_an_organization_condition_is_accepted()
    {
        const string policy = """{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123def4"}}}]}""";
        Assert.Empty(PolicyLinter.Lint(policy, false, Known));
    }

    // AWS's default policy for keys used through a service: any principal, but only of the account and through S3.
    [Theory]
    [InlineData("""{"StringEquals":{"kms:CallerAccount":"111122223333","kms:ViaService":"s3.us-east-1.amazonaws.com"}}""")]
    [InlineData("""{"StringEquals":{"aws:PrincipalAccount":["111122223333","444455556666"]}}""")]
    [InlineData("""{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":["o-abc123def4/r-ab12/ou-ab12-11111111/*"]}}""")]
    [InlineData("""{"Bool":{"aws:SecureTransport":"true"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/app-*"}}""")]
    public void A_wildcard_principal_limited_to_accounts_or_an_organization_is_accepted(string condition)
    {
        var policy = $$"""{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*","Condition":{{condition}}}]}""";
        Assert.Empty(PolicyLinter.Lint(policy, false, Known));
    }

    // Conditions that leave every AWS account in: transport, network, request shape, a negated or IfExists caller key,
    // a value that matches anyone (a wildcard organization or account, a list with "*" among its alternatives, a policy
    // variable), ForAllValues (true when the request has no such key: a caller in no organization), a numeric operator.
    [Theory]
    [InlineData("""{"Bool":{"aws:SecureTransport":"true"}}""", "aws:SecureTransport")]
    [InlineData("""{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}""", "kms:ViaService")]
    [InlineData("""{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}""", "aws:SourceIp")]
    [InlineData("""{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc123def4"}}""", "aws:PrincipalOrgID")]
    [InlineData("""{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-abc123def4"}}""", "aws:PrincipalOrgID")]
    [InlineData("""{"StringLike":{"aws:PrincipalAccount":"*"}}""", "aws:PrincipalAccount")]
    [InlineData("""{"StringLike":{"aws:PrincipalOrgID":"o-*"}}""", "aws:PrincipalOrgID")]
    [InlineData("""{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/DataSync*"}}""", "aws:PrincipalArn")]
    [InlineData("""{"StringEquals":{"aws:PrincipalAccount":["111122223333","*"]}}""", "aws:PrincipalAccount")]
    [InlineData("""{"ForAllValues:StringLike":{"aws:PrincipalOrgPaths":["o-abc123def4/r-ab12/ou-ab12-11111111/*"]}}""", "aws:PrincipalOrgPaths")]
    [InlineData("""{"StringLike":{"aws:PrincipalOrgPaths":"o-*/r-ab12/*"}}""", "aws:PrincipalOrgPaths")]
    [InlineData("""{"StringEquals":{"kms:CallerAccount":"${aws:PrincipalAccount}"}}""", "kms:CallerAccount")]
    [InlineData("""{"StringLike":{"aws:userid":"*:alice"}}""", "aws:userid")]
    [InlineData("""{"NumericLessThan":{"aws:PrincipalAccount":"999999999999"}}""", "aws:PrincipalAccount")]
    public void A_wildcard_principal_whose_conditions_do_not_limit_the_caller_is_high(string condition, string key)
    {
        var policy = $$"""{"Statement":[{"Sid":"Looks-safe","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*","Condition":{{condition}}}]}""";

        var issue = Assert.Single(PolicyLinter.Lint(policy, false, Known));

        Assert.Equal((PolicyLinter.WildcardPrincipal, "Looks-safe", Severity.High), (issue.Rule, issue.Statement, issue.Severity));
        Assert.Contains(key, issue.Detail, StringComparison.Ordinal);
    }

    // The condition limits the caller, to someone else: an outside account, or an organization other than the one whose
    // trails are in the dataset.
    [Theory]
    [InlineData("""{"StringEquals":{"kms:CallerAccount":"999911112222"}}""", "999911112222", PolicyLinter.ExternalPrincipal)]
    [InlineData("""{"StringEquals":{"aws:PrincipalAccount":["111122223333","999911112222"]}}""", "999911112222", PolicyLinter.ExternalPrincipal)]
    [InlineData("""{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::999911112222:role/*"}}""", "999911112222", PolicyLinter.ExternalPrincipal)]
    [InlineData("""{"StringEquals":{"aws:PrincipalOrgID":"o-zz9yy8xx7w"}}""", "o-zz9yy8xx7w", PolicyLinter.ExternalOrganization)]
    [InlineData("""{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-zz9yy8xx7w/r-ab12/*"}}""", "o-zz9yy8xx7w", PolicyLinter.ExternalOrganization)]
    public void A_wildcard_principal_limited_to_an_outside_account_or_organization_is_high(string condition, string outsider, string rule)
    {
        var policy = $$"""{"Statement":[{"Sid":"Share","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*","Condition":{{condition}}}]}""";

        var issue = Assert.Single(PolicyLinter.Lint(policy, false, Known, ["o-abc123def4"]));

        Assert.Equal((rule, "Share", Severity.High), (issue.Rule, issue.Statement, issue.Severity));
        Assert.Contains(outsider, issue.Detail, StringComparison.Ordinal);
    }

    // A service principal limited to the account or organization it acts for (the thirteenth independent trail: S3 let
    // in for an attacker's account was a clean PutKeyPolicy). AWS's own pattern for the dataset's accounts stays clean,
    // and so does a service principal with no such condition, as AWS's examples for CloudTrail write it.
    [Theory]
    [InlineData("""{"StringEquals":{"aws:SourceAccount":"999911112222"}}""", "999911112222", PolicyLinter.ExternalPrincipal)]
    [InlineData("""{"ArnLike":{"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:999911112222:trail/*"}}""", "999911112222", PolicyLinter.ExternalPrincipal)]
    [InlineData("""{"StringEquals":{"aws:SourceOrgID":"o-zz9yy8xx7w"}}""", "o-zz9yy8xx7w", PolicyLinter.ExternalOrganization)]
    [InlineData("""{"StringEquals":{"aws:SourceAccount":"111122223333"}}""", null, null)]
    [InlineData("""{"StringLike":{"kms:EncryptionContext:aws:cloudtrail:arn":"arn:aws:cloudtrail:*:111122223333:trail/*"}}""", null, null)]
    public void A_service_principal_acting_for_an_outside_account_or_organization_is_high(string condition, string? outsider, string? rule)
    {
        var policy = $$"""{"Statement":[{"Sid":"Service","Effect":"Allow","Principal":{"Service":["s3.amazonaws.com"]},"Action":["kms:GenerateDataKey*","kms:Decrypt"],"Resource":"*","Condition":{{condition}}}]}""";

        var issues = PolicyLinter.Lint(policy, false, Known, ["o-abc123def4"]);

        if (rule is null)
        {
            Assert.Empty(issues);
            return;
        }

        var issue = Assert.Single(issues);
        Assert.Equal((rule, "Service", Severity.High), (issue.Rule, issue.Statement, issue.Severity));
        Assert.Contains(outsider!, issue.Detail, StringComparison.Ordinal);
        Assert.Contains("Service s3.amazonaws.com acting for", issue.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_organization_condition_is_not_judged_when_the_dataset_knows_no_organization()
    {
        // A trail that is not an organization trail gives no o-… id to compare with: the condition limits the caller.
        const string policy = """{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-zz9yy8xx7w"}}}]}""";
        Assert.Empty(PolicyLinter.Lint(policy, false, Known, []));
        Assert.Empty(PolicyLinter.Lint(policy, false, Known, ["o-zz9yy8xx7w"]));
    }

    [Fact]
    public void Principals_of_unknown_accounts_kms_all_to_roles_and_the_lockout_bypass_are_reported()
    {
        const string policy = """
            {"Statement":[
              {"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
              {"Sid":"Partner","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::999988887777:role/partner","arn:aws:iam::444455556666:role/app"]},"Action":["kms:Decrypt","kms:CreateGrant"],"Resource":"*"},
              {"Sid":"App","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"kms:*","Resource":"*"},
              {"Sid":"Deny","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"}]}
            """;
        var issues = PolicyLinter.Lint(policy, true, Known);
        Assert.Equal(
            [PolicyLinter.LockoutBypass, PolicyLinter.ExternalPrincipal, PolicyLinter.BroadPermissions],
            issues.Select(i => i.Rule));
        Assert.Contains("999988887777", issues[1].Detail, StringComparison.Ordinal);
        Assert.Equal("App", issues[2].Statement);
    }

    [Fact]
    public void A_policy_that_is_not_json_is_reported_not_thrown()
    {
        Assert.Equal(PolicyLinter.Unparseable, Assert.Single(PolicyLinter.Lint("{not json", null, Known)).Rule);
    }
}
