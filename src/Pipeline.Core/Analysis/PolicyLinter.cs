using System.Text.Json;

namespace Pipeline.Analysis;

/// <summary>
/// Checks a KMS key policy for the patterns that turn a policy change into an incident: anyone may use the key
/// (<c>Principal "*"</c> without a condition that limits the caller's organization or account: none at all is critical,
/// one on the transport, network or request alone is high), principals of accounts outside the known set, <c>kms:*</c>
/// to principals other than an account root, and the lockout safety check bypassed.
/// </summary>
internal static class PolicyLinter
{
    public const string WildcardPrincipal = "wildcard_principal_without_condition";
    public const string ExternalPrincipal = "principal_outside_known_accounts";
    public const string BroadPermissions = "kms_all_to_non_admin_principal";
    public const string LockoutBypass = "lockout_safety_check_bypassed";
    public const string Unparseable = "policy_not_parseable";

    public static IReadOnlyList<PolicyLintIssue> Lint(string? policyJson, bool? bypassLockoutCheck, ICollection<string> knownAccounts)
    {
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
                LintStatement(list[i], i, knownAccounts, issues);
            }
        }

        return issues;
    }

    private static void LintStatement(JsonElement s, int index, ICollection<string> knownAccounts, List<PolicyLintIssue> issues)
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
            if (!hasCondition)
            {
                issues.Add(new PolicyLintIssue(WildcardPrincipal, name, $"Principal \"*\" may call {actionText} with no Condition", Severity.Critical));
            }
            else if (!LimitsCaller(c))
            {
                var keys = string.Join(", ", c.EnumerateObject().Where(o => o.Value.ValueKind == JsonValueKind.Object).SelectMany(o => o.Value.EnumerateObject().Select(k => k.Name)).Distinct(StringComparer.OrdinalIgnoreCase));
                issues.Add(new PolicyLintIssue(
                    WildcardPrincipal,
                    name,
                    $"Principal \"*\" may call {actionText}; its Condition ({keys}) does not limit the caller's organization or account",
                    Severity.High));
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

    // Condition keys that name who may call: the caller's (or, for a service acting for it, the source's) organization,
    // account or ARN. Transport, network, encryption context or via-service conditions alone still let any account in.
    private static readonly HashSet<string> CallerKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:userid",
        "aws:SourceOrgID", "aws:SourceOrgPaths", "aws:SourceAccount", "aws:SourceArn", "aws:SourceOwner",
        "kms:CallerAccount", "aws:PrincipalServiceName",
    };

    /// <summary>
    /// Whether a statement's Condition limits who may call: a positive operator (not <c>...Not...</c>, not
    /// <c>...IfExists</c>, which lets callers without the key in) on a caller key, with a value other than <c>*</c>.
    /// </summary>
    private static bool LimitsCaller(JsonElement condition)
    {
        foreach (var op in condition.EnumerateObject())
        {
            if (op.Value.ValueKind != JsonValueKind.Object
                || op.Name.Contains("Not", StringComparison.Ordinal)
                || op.Name.EndsWith("IfExists", StringComparison.OrdinalIgnoreCase)
                || op.Name.Equals("Null", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (var key in op.Value.EnumerateObject())
            {
                if (CallerKeys.Contains(key.Name) && ConditionValues(key.Value).Any(v => v.Trim('*').Length > 0))
                {
                    return true;
                }
            }
        }

        return false;
    }

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

    private static List<string> Strings(JsonElement s, string name) =>
        !s.TryGetProperty(name, out var v) ? []
        : v.ValueKind == JsonValueKind.String ? [v.GetString()!]
        : v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList()
        : [];

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
