using System.Globalization;

namespace Pipeline.Generation;

/// <summary>Object keys of an organization trail, exactly as CloudTrail names them (dates are delivery dates).</summary>
internal static class ArchiveLayout
{
    public static string LogKey(Population pop, int account, int region, DateTime delivered, string unique)
    {
        var acct = pop.Accounts[account].Id;
        var r = pop.Regions[region];
        return string.Create(CultureInfo.InvariantCulture,
            $"AWSLogs/{pop.OrganizationId}/{acct}/CloudTrail/{r}/{delivered:yyyy}/{delivered:MM}/{delivered:dd}/{acct}_CloudTrail_{r}_{delivered:yyyyMMdd'T'HHmm'Z'}_{unique}.json.gz");
    }

    public static string DigestKey(Population pop, int account, int region, DateTime end)
    {
        var acct = pop.Accounts[account].Id;
        var r = pop.Regions[region];
        return string.Create(CultureInfo.InvariantCulture,
            $"AWSLogs/{pop.OrganizationId}/{acct}/CloudTrail-Digest/{r}/{end:yyyy}/{end:MM}/{end:dd}/{acct}_CloudTrail-Digest_{r}_{pop.TrailName}_{r}_{end:yyyyMMdd'T'HHmmss'Z'}.json.gz");
    }

    public static string FullPath(string root, string key) => Path.Combine(root, key.Replace('/', Path.DirectorySeparatorChar));
}
