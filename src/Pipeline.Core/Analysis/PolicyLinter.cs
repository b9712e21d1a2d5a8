using System.Text.Json;

namespace Pipeline.Analysis;

/// <summary>
/// Checks a KMS key policy for the patterns that turn a policy change into an incident: anyone may use the key
/// (<c>Principal "*"</c> without a condition that limits the caller's organization or account: none at all is critical,
/// one on the transport, network or request alone is high, so is one whose values match anyone: <c>o-*</c>, an ARN with
/// <c>*</c> for its account), principals of accounts outside the known set, named in <c>Principal</c> or in the
/// condition that limits <c>"*"</c> or a service principal (an outside account, or an organization other than the
/// dataset's), <c>kms:*</c> to principals other than an account root, and the lockout safety check bypassed.
/// </summary>
internal static class PolicyLinter
{
    public const string WildcardPrincipal = "wildcard_principal_without_condition";
    public const string ExternalPrincipal = "principal_outside_known_accounts";
    public const string ExternalOrganization = "principal_outside_known_organizations";
    public const string BroadPermissions = "kms_all_to_non_admin_principal";
    public const string LockoutBypass = "lockout_safety_check_bypassed";
    public const string Unparseable = "policy_not_parseable";

    public static IReadOnlyList<PolicyLintIssue> Lint(string? policyJson, bool? bypassLockoutCheck, ICollection<string> knownAccounts, ICollection<string>? knownOrganizations = null)
    {
        knownOrganizations ??= [];
        var issues = new List<PolicyLintIssue>();
        if (bypassLockoutCheck == true)
        {
            issues.Add(new PolicyLintIssue(LockoutBypass, "-", "bypassPolicyLockoutSafetyCheck was true", Severity.High));
        }

        if (string.IsNullOrWhiteSpace(policyJson))
        {
            return issues;
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(policyJson, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            issues.Add(new PolicyLintIssue(Unparseable, "-", e.Message, Severity.Medium));
            return issues;
        }

        using (doc)
        {
            if (!doc.RootElement.TryGetProperty("Statement", out var statements))
            {
                return issues;
            }

            var list = statements.ValueKind == JsonValueKind.Array ? statements.EnumerateArray().ToList() : [statements];
            for (var i = 0; i < list.Count; i++)
            {
                LintStatement(list[i], i, knownAccounts, knownOrganizations, issues);
            }
        }

        return issues;
    }

    private static void LintStatement(JsonElement s, int index, ICollection<string> knownAccounts, ICollection<string> knownOrganizations, List<PolicyLintIssue> issues)
    {
        if (s.ValueKind != JsonValueKind.Object || !string.Equals(Text(s, "Effect"), "Allow", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var name = Text(s, "Sid") is { Length: > 0 } sid ? sid : $"#{index}";
        var actions = Strings(s, "Action");
        var hasCondition = s.TryGetProperty("Condition", out var c) && c.ValueKind == JsonValueKind.Object && c.EnumerateObject().Any();
        var principals = Principals(s);
        var actionText = string.Join(",", actions);

        if (principals.Any(p => p == "*"))
        {
            var limit = hasCondition ? CallerLimit(c) : null;
            if (!hasCondition)
            {
                issues.Add(new PolicyLintIssue(WildcardPrincipal, name, $"Principal \"*\" may call {actionText} with no Condition", Severity.Critical));
            }
            else if (limit is null)
            {
                var keys = string.Join(", ", c.EnumerateObject().Where(o => o.Value.ValueKind == JsonValueKind.Object).SelectMany(o => o.Value.EnumerateObject().Select(k => k.Name)).Distinct(StringComparer.OrdinalIgnoreCase));
                issues.Add(new PolicyLintIssue(
                    WildcardPrincipal,
                    name,
                    $"Principal \"*\" may call {actionText}; its Condition ({keys}) does not limit the caller's organization or account",
                    Severity.High));
            }
            else
            {
                // Limited, but to whom: an outside account or another organization named in the condition opens the key
                // to them as surely as naming them in Principal would.
                foreach (var (key, account) in limit.Accounts.Where(a => !knownAccounts.Contains(a.Account)))
                {
                    issues.Add(new PolicyLintIssue(ExternalPrincipal, name, $"Principal \"*\" in account {account} ({key}) may call {actionText}: the account is outside the known accounts", Severity.High));
                }

                if (knownOrganizations.Count > 0)
                {
                    foreach (var (key, organization) in limit.Organizations.Where(o => !knownOrganizations.Contains(o.Organization)))
                    {
                        issues.Add(new PolicyLintIssue(ExternalOrganization, name, $"Principal \"*\" in organization {organization} ({key}) may call {actionText}: not the organization whose trails are in the dataset ({string.Join(", ", knownOrganizations.Order(StringComparer.Ordinal))})", Severity.High));
                    }
                }
            }
        }

        // A service principal limited to the account (or organization) it acts for: S3 writing objects of that account's
        // buckets, say. An account outside the known set there opens the key to that account through the service.
        var services = Strings(s, "Principal", "Service");
        if (services.Count > 0 && hasCondition && CallerLimit(c) is { } serviceLimit)
        {
            var serviceText = string.Join(", ", services);
            foreach (var (key, account) in serviceLimit.Accounts.Where(a => !knownAccounts.Contains(a.Account)))
            {
                issues.Add(new PolicyLintIssue(ExternalPrincipal, name, $"Service {serviceText} acting for account {account} ({key}) may call {actionText}: the account is outside the known accounts", Severity.High));
            }

            if (knownOrganizations.Count > 0)
            {
                foreach (var (key, organization) in serviceLimit.Organizations.Where(o => !knownOrganizations.Contains(o.Organization)))
                {
                    issues.Add(new PolicyLintIssue(ExternalOrganization, name, $"Service {serviceText} acting for organization {organization} ({key}) may call {actionText}: not the organization whose trails are in the dataset ({string.Join(", ", knownOrganizations.Order(StringComparer.Ordinal))})", Severity.High));
                }
            }
        }

        foreach (var p in principals.Where(p => p != "*"))
        {
            var account = AccountOf(p);
            if (account is not null && !knownAccounts.Contains(account))
            {
                issues.Add(new PolicyLintIssue(ExternalPrincipal, name, $"{p} (account {account}) may call {actionText}", Severity.High));
            }
        }

        if (actions.Any(a => a is "kms:*" or "*"))
        {
            foreach (var p in principals.Where(p => p != "*" && !IsAdmin(p)))
            {
                issues.Add(new PolicyLintIssue(BroadPermissions, name, $"{p} is granted kms:* (all key administration and use)", Severity.Medium));
            }
        }
    }

    /// <summary>Who a condition lets in: the accounts and organizations it names (by the condition key that names them).</summary>
    private sealed record Limit(List<(string Key, string Account)> Accounts, List<(string Key, string Organization)> Organizations);

    private enum CallerKeyKind
    {
        Organization,
        OrganizationPath,
        Account,
        Arn,
        UserId,
        Service,
    }

    // Condition keys that name who may call: the caller's (or, for a service acting for it, the source's) organization,
    // account or ARN. Transport, network, encryption context or via-service conditions alone still let any account in.
    private static readonly Dictionary<string, CallerKeyKind> CallerKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["aws:PrincipalOrgID"] = CallerKeyKind.Organization,
        ["aws:SourceOrgID"] = CallerKeyKind.Organization,
        ["aws:PrincipalOrgPaths"] = CallerKeyKind.OrganizationPath,
        ["aws:SourceOrgPaths"] = CallerKeyKind.OrganizationPath,
        ["aws:PrincipalAccount"] = CallerKeyKind.Account,
        ["aws:SourceAccount"] = CallerKeyKind.Account,
        ["aws:SourceOwner"] = CallerKeyKind.Account,
        ["kms:CallerAccount"] = CallerKeyKind.Account,
        ["aws:PrincipalArn"] = CallerKeyKind.Arn,
        ["aws:SourceArn"] = CallerKeyKind.Arn,
        ["aws:userid"] = CallerKeyKind.UserId,
        ["aws:PrincipalServiceName"] = CallerKeyKind.Service,
    };

    /// <summary>
    /// Whether a statement's Condition limits who may call, and to whom; null when it does not. A condition limits when,
    /// under a positive string or ARN operator (not <c>...Not...</c>; not <c>...IfExists</c> or <c>ForAllValues:</c>,
    /// which let in a caller the key does not apply to, e.g. one in no organization), one of the caller keys has only
    /// values that name a particular organization, account, principal or service: <c>o-*</c>, an ARN with <c>*</c> for
    /// its account, or a list that also holds such a value, limit nothing (the values of one key are alternatives).
    /// Several limiting keys must all hold, so each one's accounts and organizations are returned.
    /// </summary>
    private static Limit? CallerLimit(JsonElement condition)
    {
        Limit? limit = null;
        foreach (var op in condition.EnumerateObject())
        {
            var name = op.Name;
            if (op.Value.ValueKind != JsonValueKind.Object
                || name.Contains("Not", StringComparison.Ordinal)
                || name.EndsWith("IfExists", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("ForAllValues:", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var bare = name.StartsWith("ForAnyValue:", StringComparison.OrdinalIgnoreCase) ? name["ForAnyValue:".Length..] : name;
            if (!bare.StartsWith("String", StringComparison.OrdinalIgnoreCase) && !bare.StartsWith("Arn", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (var key in op.Value.EnumerateObject())
            {
                if (!CallerKeys.TryGetValue(key.Name, out var kind))
                {
                    continue;
                }

                var values = ConditionValues(key.Value).ToList();
                var scopes = values.Select(v => Scope(kind, v)).ToList();
                if (values.Count == 0 || scopes.Any(sc => !sc.Limits))
                {
                    continue;
                }

                limit ??= new Limit([], []);
                limit.Accounts.AddRange(scopes.Where(sc => sc.Account is not null).Select(sc => (key.Name, sc.Account!)));
                limit.Organizations.AddRange(scopes.Where(sc => sc.Organization is not null).Select(sc => (key.Name, sc.Organization!)));
            }
        }

        return limit;
    }

    /// <summary>Whether one condition value names a particular caller, and the account or organization it names.</summary>
    private static (bool Limits, string? Account, string? Organization) Scope(CallerKeyKind kind, string value)
    {
        var v = value.Trim();
        switch (kind)
        {
            case CallerKeyKind.Organization:
                return IsOrganizationId(v) ? (true, null, v.ToLowerInvariant()) : (false, null, null);
            case CallerKeyKind.OrganizationPath:
                var first = v.Split('/')[0];
                return IsOrganizationId(first) ? (true, null, first.ToLowerInvariant()) : (false, null, null);
            case CallerKeyKind.Account:
                return IsAccountId(v) ? (true, v, null) : (false, null, null);
            case CallerKeyKind.Arn:
                var parts = v.Split(':');
                if (parts.Length < 6 || parts[0] != "arn")
                {
                    return (false, null, null);
                }

                if (IsAccountId(parts[4]))
                {
                    return (true, parts[4], null);
                }

                // An ARN without an account (an S3 bucket) names one resource only when nothing in it is a wildcard.
                return parts[4].Length == 0 && !HasWildcard(v) ? (true, null, null) : (false, null, null);
            case CallerKeyKind.UserId:
                var id = v.Split(':')[0];
                return id.Length > 0 && !HasWildcard(id) && !id.Contains('$', StringComparison.Ordinal) ? (true, null, null) : (false, null, null);
            default:
                return v.Length > 0 && !HasWildcard(v) ? (true, null, null) : (false, null, null);
        }
    }

    private static bool IsOrganizationId(string v) =>
        v.Length is >= 12 and <= 34 && v.StartsWith("o-", StringComparison.OrdinalIgnoreCase) && v[2..].All(char.IsAsciiLetterOrDigit);

    private static bool IsAccountId(string v) => v.Length == 12 && v.All(char.IsAsciiDigit);

    private static bool HasWildcard(string v) => v.Contains('*', StringComparison.Ordinal) || v.Contains('?', StringComparison.Ordinal);

    private static IEnumerable<string> ConditionValues(JsonElement v) =>
        v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)
        : v.ValueKind == JsonValueKind.String ? [v.GetString()!]
        : [];

    // The account root is how a key policy delegates to IAM; names that say admin are administrators by convention.
    private static bool IsAdmin(string principal) =>
        principal.EndsWith(":root", StringComparison.Ordinal) || principal.Contains("admin", StringComparison.OrdinalIgnoreCase) || AccountOf(principal) == principal;

    /// <summary>The 12-digit account of a principal given as an account id or an ARN; null for services and wildcards.</summary>
    public static string? AccountOf(string principal)
    {
        if (principal.Length == 12 && principal.All(char.IsAsciiDigit))
        {
            return principal;
        }

        var parts = principal.Split(':');
        return parts.Length >= 5 && parts[0] == "arn" && parts[4].Length == 12 && parts[4].All(char.IsAsciiDigit) ? parts[4] : null;
    }

    private static List<string> Principals(JsonElement s)
    {
        if (!s.TryGetProperty("Principal", out var p))
        {
            return [];
        }

        if (p.ValueKind == JsonValueKind.String)
        {
            return [p.GetString()!];
        }

        var result = new List<string>();
        if (p.ValueKind == JsonValueKind.Object && p.TryGetProperty("AWS", out var aws))
        {
            result.AddRange(aws.ValueKind == JsonValueKind.Array ? aws.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!) : aws.ValueKind == JsonValueKind.String ? [aws.GetString()!] : []);
        }

        return result;
    }

    /// <summary>The strings of <c>Principal.Service</c> (or another member of an object-valued property).</summary>
    private static List<string> Strings(JsonElement s, string name, string member) =>
        s.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? Strings(v, member) : [];

    private static List<string> Strings(JsonElement s, string name) =>
        !s.TryGetProperty(name, out var v) ? []
        : v.ValueKind == JsonValueKind.String ? [v.GetString()!]
        : v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList()
        : [];

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
