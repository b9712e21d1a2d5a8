using System.Text.Json.Nodes;
using Pipeline.Query;
using Pipeline.Reporting;

namespace Pipeline.Analysis;

/// <summary>
/// Calls that failed because their key is pending deletion, disabled or without its imported material
/// (<c>KMSInvalidStateException</c>, <c>DisabledException</c>): something still depends on a key that is about to be
/// destroyed or already unusable. AWS recommends alarming on the first such call: cancel the deletion (or re-enable
/// the key) before the waiting period ends, or find and fix the caller. One finding per key. Only calls that use the
/// key count (cryptographic operations, <c>GetPublicKey</c>, and <c>CreateGrant</c>, which services call to use it):
/// a refused key-management call, such as scheduling the deletion of a key already pending deletion again, is no sign
/// that anything depends on the key.
/// </summary>
internal static class UnusableKeyUse
{
    private const string Sql = """
        SELECT coalesce(key_arn, key_ref) AS key,
               count(*),
               count(DISTINCT principal_arn),
               min(principal_arn),
               count(DISTINCT caller_account_id),
               min(caller_account_id),
               min(key_account_id),
               min(event_time),
               max(event_time),
               bool_or(error_code = 'KMSInvalidStateException' AND error_message ILIKE '%pending deletion%'),
               bool_or(error_code = 'KMSInvalidStateException' AND error_message ILIKE '%pending import%'),
               bool_or(error_code = 'DisabledException'),
               string_agg(DISTINCT event_name, ',' ORDER BY event_name),
               list(DISTINCT principal_arn ORDER BY principal_arn)[1:5],
               list(event_id ORDER BY event_time, event_id)[1:10]
        FROM kms_actions
        WHERE event_date = $1 AND error_code IN ('KMSInvalidStateException', 'DisabledException')
          AND (event_name IN ('Decrypt', 'Encrypt', 'Sign', 'Verify', 'GenerateMac', 'VerifyMac', 'DeriveSharedSecret', 'GetPublicKey', 'CreateGrant')
               OR event_name LIKE 'GenerateDataKey%' OR event_name LIKE 'ReEncrypt%')
        GROUP BY 1
        ORDER BY 1
        """;

    public static async Task<IReadOnlyList<Finding>> FindAsync(DatasetQuery q, DateOnly day, AnalysisOptions options, CancellationToken ct)
    {
        var findings = new List<Finding>();
        foreach (var r in await q.QueryRowsAsync(Sql, ct, day).ConfigureAwait(false))
        {
            var principals = Values.Long(r[2]);
            var principal = principals == 1 ? Values.Str(r[3]) : null;
            if (principal is not null && options.IsAllowedPrincipal(principal))
            {
                continue;
            }

            var (state, severity, advice) = (r[9] as bool? == true, r[10] as bool? == true, r[11] as bool? == true) switch
            {
                (true, _, _) => ("pending deletion", Severity.High, "cancel the deletion before its waiting period ends, or move the caller off the key"),
                (_, true, _) => ("without its imported key material", Severity.High, "import the same material again, or move the caller off the key"),
                (_, _, true) => ("disabled", Severity.Medium, "enable the key again, or move the caller off the key"),
                _ => ("in a state that refuses the call", Severity.Medium, "check the key's state (and its custom key store)"),
            };
            var calls = Values.Long(r[1]);
            var key = Values.Str(r[0]);
            var who = principal ?? $"{principals} principals";
            findings.Add(new Finding
            {
                Kind = FindingKind.UnusableKeyInUse,
                Severity = severity,
                Title = $"{Counted.Of(calls, "call")} by {who} failed because the key is {state}: something still uses it; {advice}",
                Principal = principal,
                KeyArn = key,
                CallerAccountId = Values.Long(r[4]) == 1 ? Values.Str(r[5]) : null,
                KeyAccountId = Values.Str(r[6]),
                EventName = Values.Str(r[12]),
                Count = calls,
                FirstSeen = Values.Utc(r[7]),
                LastSeen = Values.Utc(r[8]),
                Details = new JsonObject
                {
                    ["key_state"] = state,
                    ["principals"] = principals,
                    ["some_principals"] = new JsonArray(Values.Strings(r[13]).Select(p => (JsonNode?)JsonValue.Create(p)).ToArray()),
                },
                EventIds = Values.Strings(r[14]).ToList(),
            });
        }

        return findings;
    }
}
