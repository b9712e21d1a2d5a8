using System.Text.Json.Nodes;
using Pipeline.Query;
using Pipeline.Reporting;

namespace Pipeline.Analysis;

/// <summary>
/// KMS calls made with an account's root user credentials (<c>userIdentity.type</c> <c>Root</c>), which IAM policies
/// cannot restrict. Cryptographic calls (Decrypt, Encrypt, GenerateDataKey*, ReEncrypt*, Sign, ...) are always a finding:
/// no routine work reads data with the root user. Other calls are one when the root user made no KMS call in the
/// lookback: a console session that lists keys every Monday is routine, a root user that appears is not. Its key changes
/// are reported on their own as well (with the root user as principal). One finding per root user (account) and day.
/// </summary>
internal static class RootUserActivity
{
    private const string Crypto = """
        event_name IN ('Decrypt', 'Encrypt', 'Sign', 'Verify', 'GenerateMac', 'VerifyMac', 'DeriveSharedSecret', 'GenerateRandom')
            OR event_name LIKE 'GenerateDataKey%' OR event_name LIKE 'ReEncrypt%'
        """;

    private const string Sql = $$"""
        SELECT principal_arn,
               any_value(caller_account_id),
               count(*),
               count(*) FILTER (WHERE error_code IS NOT NULL),
               string_agg(DISTINCT event_name, ',' ORDER BY event_name),
               count(DISTINCT key_arn),
               min(key_arn),
               any_value(key_account_id),
               (list(DISTINCT key_arn ORDER BY key_arn) FILTER (WHERE key_arn IS NOT NULL))[1:10],
               (list(DISTINCT source_ip_address ORDER BY source_ip_address) FILTER (WHERE source_ip_address IS NOT NULL))[1:10],
               (list(DISTINCT user_agent ORDER BY user_agent) FILTER (WHERE user_agent IS NOT NULL))[1:5],
               min(event_time),
               max(event_time),
               list(event_id ORDER BY event_time, event_id)[1:10],
               count(*) FILTER (WHERE {{Crypto}}),
               string_agg(DISTINCT event_name, ',' ORDER BY event_name) FILTER (WHERE {{Crypto}}),
               EXISTS (SELECT 1 FROM kms_events_all h
                       WHERE h.event_date >= $2 AND h.event_date < $1 AND h.principal_kind = 'root' AND h.principal_arn = a.principal_arn)
        FROM kms_actions a
        WHERE event_date = $1 AND principal_kind = 'root' AND {{PrincipalFindings.PrincipalUse}}
        GROUP BY principal_arn
        ORDER BY principal_arn
        """;

    public static async Task<IReadOnlyList<Finding>> FindAsync(DatasetQuery q, DateOnly day, AnalysisOptions options, CancellationToken ct)
    {
        var lookbackStart = day.AddDays(-options.NewPrincipalLookbackDays);
        var history = await DataCoverage.HistoryStartAsync(q, day, lookbackStart, ct).ConfigureAwait(false);
        var canBeNew = history <= day.AddDays(-options.MinBaselineDays);
        var findings = new List<Finding>();
        foreach (var r in await q.QueryRowsAsync(Sql, ct, day, lookbackStart).ConfigureAwait(false))
        {
            var principal = Values.Str(r[0]);
            var crypto = Values.Long(r[14]);
            var seenBefore = r[16] as bool? == true;
            var cryptoOperations = Values.Str(r[15]);
            if (principal is null || options.IsAllowedPrincipal(principal) || (crypto == 0 && (seenBefore || !canBeNew)))
            {
                continue; // routine console work of a root user seen before, or too little history to call it new
            }

            var account = Values.Str(r[1]) ?? PolicyLinter.AccountOf(principal);
            var calls = Values.Long(r[2]);
            var operations = Values.Str(r[4]);
            var keys = Values.Long(r[5]);
            findings.Add(new Finding
            {
                Kind = FindingKind.RootUserActivity,
                Severity = crypto > 0 ? Severity.High : Severity.Medium,
                Title = crypto > 0
                    ? $"The root user of account {account} made {Counted.Of(crypto, "cryptographic call")} ({cryptoOperations}){(calls > crypto ? $" and {Counted.Of(calls - crypto, "other KMS call")}" : "")} on {Counted.Of(keys, "key")}: no routine work should read data as root; confirm who used its credentials"
                    : $"The root user of account {account} made its first KMS calls in {PrincipalFindings.LookbackText(history, lookbackStart, day, options)} ({Counted.Of(calls, "call")}: {operations}): confirm who used its credentials",
                Principal = principal,
                KeyArn = keys == 1 ? Values.Str(r[6]) : null,
                CallerAccountId = account,
                KeyAccountId = keys == 1 ? Values.Str(r[7]) : null,
                EventName = operations,
                Count = calls,
                FirstSeen = Values.Utc(r[11]),
                LastSeen = Values.Utc(r[12]),
                Details = new JsonObject
                {
                    ["failed_calls"] = Values.Long(r[3]),
                    ["cryptographic_calls"] = crypto,
                    ["seen_in_lookback"] = seenBefore,
                    ["keys"] = Strings(r[8]),
                    ["source_ips"] = Strings(r[9]),
                    ["user_agents"] = Strings(r[10]),
                },
                EventIds = Values.Strings(r[13]).ToList(),
            });
        }

        return findings;
    }

    private static JsonArray Strings(object? v) => new(Values.Strings(v).Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
}
