namespace Pipeline.Generation;

/// <summary>
/// The synthetic organization: accounts, regions, KMS keys and principals with their KMS call rates.
/// Everything is derived from the seed alone, so a later scenario layer can look principals and keys up
/// by name and plant anomalies (rate jumps, a new principal on a key, key deletion) on top of it.
/// </summary>
internal sealed class Population
{
    private static readonly string[] AccountNames = ["log-archive", "prod", "staging", "data", "shared-services", "dev"];
    private static readonly string[] RegionPool = ["us-east-1", "eu-west-1", "us-west-2", "eu-central-1"];
    private static readonly string[] KeyPurposes = ["app-data", "s3-default", "secrets", "ebs", "dynamodb", "backup", "logs"];
    private static readonly string[] FunctionStems = ["orders", "billing", "thumbnailer", "ingest", "notifier", "reporting", "auth", "sync"];
    private static readonly string[] People = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];

    private Population(string organizationId, IReadOnlyList<OrgAccount> accounts, IReadOnlyList<string> regions,
        IReadOnlyList<KmsKey> keys, IReadOnlyList<Principal> principals, string trailName, string bucket)
    {
        // Scenario principals are scripted: they make no random background calls (one could be "new" on any day).
        OrganizationId = organizationId;
        Accounts = accounts;
        Regions = regions;
        Keys = keys;
        Principals = principals;
        TrailName = trailName;
        Bucket = bucket;
        BackgroundCallers = principals.Where(p => !p.IsScenario && p.Kind is not (PrincipalKind.AwsService or PrincipalKind.AwsAccount)).ToArray();
    }

    public string OrganizationId { get; }

    public IReadOnlyList<OrgAccount> Accounts { get; }

    public IReadOnlyList<string> Regions { get; }

    public IReadOnlyList<KmsKey> Keys { get; }

    public IReadOnlyList<Principal> Principals { get; }

    /// <summary>Principals that also make the non-KMS background calls.</summary>
    public IReadOnlyList<Principal> BackgroundCallers { get; }

    public string TrailName { get; }

    /// <summary>The log archive bucket the organization trail delivers to.</summary>
    public string Bucket { get; }

    public OrgAccount LogArchive => Accounts[0];

    /// <summary>Sum of the unscaled weekday KMS rates, per region index.</summary>
    public double KmsRatePerDay(int region) => Principals.Where(p => p.Regions.Contains(region)).Sum(p => p.KmsDailyRate);

    public static Population Build(long seed)
    {
        var rng = GenRandom.Derive(seed, 1);
        var orgId = "o-" + rng.LowerAlnumString(10);
        var accountCount = rng.Next(4, 7);
        var accounts = new List<OrgAccount>();
        for (var i = 0; i < accountCount; i++)
        {
            accounts.Add(new OrgAccount(i, rng.Next(1, 10) + rng.Digits(11), AccountNames[i], i == 0));
        }

        var regionCount = rng.Next(2, 4);
        var regions = RegionPool.Take(regionCount).ToArray();

        var keys = new List<KmsKey>();
        var keysByAccountRegion = new Dictionary<(int, int), List<KmsKey>>();
        foreach (var account in accounts)
        {
            // One multi-Region key per account, replicated to every region: same mrk- id in each ARN.
            var mrk = "mrk-" + rng.Hex(32);
            for (var r = 0; r < regions.Length; r++)
            {
                var list = new List<KmsKey> { new(account, regions[r], mrk, $"alias/{account.Name}-global") };
                var count = rng.Next(2, 5);
                for (var k = 0; k < count; k++)
                {
                    var purpose = KeyPurposes[(k + account.Index) % KeyPurposes.Length];
                    var alias = rng.Chance(0.8) ? $"alias/{account.Name}-{purpose}" : null;
                    list.Add(new KmsKey(account, regions[r], rng.NextGuid().ToString(), alias));
                }

                keysByAccountRegion[(account.Index, r)] = list;
                keys.AddRange(list);
            }
        }

        var builder = new PrincipalFactory(rng, accounts, regions, keysByAccountRegion);
        foreach (var account in accounts)
        {
            builder.AddAccountPrincipals(account);
        }

        builder.AddServiceAndExternalPrincipals();
        var trail = "org-trail";
        var bucket = $"aws-cloudtrail-logs-{accounts[0].Id}-{rng.Hex(8)}";
        return new Population(orgId, accounts, regions, keys, builder.Principals, trail, bucket);
    }

    /// <summary>The same organization with the scenario's principals appended (their indexes continue the list).</summary>
    public Population WithPrincipals(IEnumerable<Principal> extra) =>
        new(OrganizationId, Accounts, Regions, Keys, [.. Principals, .. extra], TrailName, Bucket);

    internal static string FunctionName(GenRandom rng) => $"{rng.Pick(FunctionStems)}-{rng.Pick(["handler", "worker", "api", "consumer"])}";

    internal static string Person(GenRandom rng) => rng.Pick(People);
}
