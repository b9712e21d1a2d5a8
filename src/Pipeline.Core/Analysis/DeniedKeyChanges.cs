using System.Text.Json.Nodes;
using Pipeline.Query;

namespace Pipeline.Analysis;

/// <summary>
/// Key changes that were refused: a principal tried to delete, disable, re-police or share a key and was denied. The
/// change did not happen, so this is not the change's own finding, but an attempt to destroy or open a key by a
/// principal not allowed to is what a stolen credential's first moves look like; one denied call is below any
/// access-denied burst. Other failures (a key in the wrong state, a malformed request) are left to the statistics.
/// </summary>
internal static class DeniedKeyChanges
{
    // Attempts whose success would destroy a key, open it to others or take it from its owner: medium. The others: low.
    private static readonly HashSet<string> Destructive = new(StringComparer.Ordinal)
    {
        "ScheduleKeyDeletion", "DeleteImportedKeyMaterial", "DisableKey", "PutKeyPolicy", "CreateGrant", "ReplicateKey",
    };

    private static readonly string Sql = $"""
        SELECT principal_arn, event_name, coalesce(key_arn, key_ref) AS key, any_value(caller_account_id), any_value(key_account_id),
               string_agg(DISTINCT error_code, ',' ORDER BY error_code), count(*), min(event_time), max(event_time),
               list(event_id ORDER BY event_time, event_id)[1:10], any_value(error_message), any_value(principal_kind)
        FROM kms_actions
        WHERE event_date = $1 AND {PrincipalFindings.Denied}
          AND event_name IN ('ScheduleKeyDeletion', 'DeleteImportedKeyMaterial', 'DisableKey', 'PutKeyPolicy', 'CreateGrant',
                             'DisableKeyRotation', 'ReplicateKey', 'UpdatePrimaryRegion', 'UpdateAlias', 'DeleteAlias',
                             'ImportKeyMaterial', 'DeleteCustomKeyStore', 'DisconnectCustomKeyStore', 'UpdateCustomKeyStore')
        GROUP BY principal_arn, event_name, key
        ORDER BY min(event_time), principal_arn, event_name, key
        """;

    public static async Task<IReadOnlyList<Finding>> FindAsync(DatasetQuery q, DateOnly day, CancellationToken ct)
    {
        var findings = new List<Finding>();
        foreach (var r in await q.QueryRowsAsync(Sql, ct, day).ConfigureAwait(false))
        {
            var principal = Values.Str(r[0]);
            var name = Values.Str(r[1])!;
            var errors = Values.Str(r[5]);
            var count = Values.Long(r[6]);
            findings.Add(new Finding
            {
                Kind = FindingKind.KeyChangeDenied,
                Severity = Destructive.Contains(name) ? Severity.Medium : Severity.Low,
                Title = $"{name} denied ({errors}){(count > 1 ? $" {count} times" : string.Empty)}: {PrincipalFindings.Describe(principal ?? "an unnamed caller", Values.Str(r[11]), Values.Str(r[3]))} tried a key change it is not allowed to make",
                Principal = principal,
                KeyArn = Values.Str(r[2]),
                CallerAccountId = Values.Str(r[3]),
                KeyAccountId = Values.Str(r[4]),
                EventName = name,
                Count = count,
                FirstSeen = Values.Utc(r[7]),
                LastSeen = Values.Utc(r[8]),
                Details = new JsonObject { ["error_code"] = errors, ["error_message"] = Values.Str(r[10]) },
                EventIds = Values.Strings(r[9]),
            });
        }

        return findings;
    }
}
