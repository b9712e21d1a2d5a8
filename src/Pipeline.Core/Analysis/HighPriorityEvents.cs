using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Query;

namespace Pipeline.Analysis;

/// <summary>
/// Findings for the KMS calls that change what a key is or who may use it: deletion, disabling, policy and grant
/// changes, rotation, replication. Failed attempts are not reported here: denied ones are <see cref="DeniedKeyChanges"/>,
/// the others show in the failed-call statistics.
/// </summary>
internal static class HighPriorityEvents
{
    private const string Sql = """
        SELECT event_name, event_time, event_id, principal_arn, caller_account_id, key_arn, key_ref, key_account_id,
               pending_window_days, grantee_principal, grant_operations, policy_json, bypass_policy_lockout_safety_check,
               request_parameters_json, aws_region, source_ip_address, user_agent, session_name, recipient_account_id,
               json_extract_string(response_elements_json, '$.grantId')
        FROM kms_actions
        WHERE event_date = $1 AND error_code IS NULL
          AND event_name IN ('ScheduleKeyDeletion', 'DeleteImportedKeyMaterial', 'ImportKeyMaterial', 'DisableKey', 'PutKeyPolicy', 'CreateKey',
                             'CreateGrant', 'DisableKeyRotation', 'ReplicateKey', 'UpdatePrimaryRegion', 'CancelKeyDeletion',
                             'UpdateAlias', 'DeleteAlias', 'CreateCustomKeyStore', 'UpdateCustomKeyStore', 'DeleteCustomKeyStore',
                             'ConnectCustomKeyStore', 'DisconnectCustomKeyStore', 'DeleteKey', 'DeleteExpiredKeyMaterial')
        ORDER BY event_time, event_id
        """;

    // Successful calls that undo one another, from before the report day on: a CancelKeyDeletion closes the latest
    // ScheduleKeyDeletion of the same key before it (KMS refuses to schedule a key already pending deletion; windows are
    // 7-30 days), an EnableKey the latest DisableKey, an EnableKeyRotation the latest DisableKeyRotation. KMS's DeleteKey at
    // the end of a window carries the schedule out.
    private const string ReversalSql = """
        SELECT event_name, event_time, event_id, principal_arn, key_arn, key_ref, aws_region
        FROM kms_actions
        WHERE event_date >= $1 AND error_code IS NULL
          AND event_name IN ('ScheduleKeyDeletion', 'CancelKeyDeletion', 'DisableKey', 'EnableKey', 'DeleteKey', 'DisableKeyRotation', 'EnableKeyRotation')
        ORDER BY event_time, event_id
        """;

    // Policy and grant changes in the hour before the report day: a deletion just after midnight still follows them.
    private const string EarlierAccessChangesSql = """
        SELECT event_name, event_time, event_id, principal_arn, key_arn, key_ref, aws_region
        FROM kms_actions
        WHERE event_date = $1 AND event_time >= $2 AND error_code IS NULL AND event_name IN ('PutKeyPolicy', 'CreateGrant')
        ORDER BY event_time, event_id
        """;

    // The key an alias pointed to before a change: the target of its latest successful CreateAlias or UpdateAlias before
    // it (an alias belongs to one account and region). CloudTrail's UpdateAlias names only the new target.
    private const string PreviousAliasTargetSql = """
        SELECT coalesce(key_arn, key_ref), event_time, event_id
        FROM kms_actions
        WHERE event_name IN ('CreateAlias', 'UpdateAlias') AND error_code IS NULL
          AND aws_region = $1 AND recipient_account_id = $2 AND event_time < $3
          AND json_extract_string(request_parameters_json, '$.aliasName') = $4
        ORDER BY event_time DESC, event_id DESC
        LIMIT 1
        """;

    // A CreateAlias of the same name within the hour after a DeleteAlias: together an alias moved to another key (the
    // console and scripts without UpdateAlias do it this way).
    private const string AliasRecreatedSql = """
        SELECT coalesce(key_arn, key_ref), event_time, event_id, principal_arn
        FROM kms_actions
        WHERE event_date BETWEEN $5 AND $6 AND event_name = 'CreateAlias' AND error_code IS NULL
          AND aws_region = $1 AND recipient_account_id = $2 AND event_time >= $3 AND event_time <= $4
          AND json_extract_string(request_parameters_json, '$.aliasName') = $7
        ORDER BY event_time, event_id
        LIMIT 1
        """;

    /// <summary>How long after a DeleteAlias a CreateAlias of the same name makes the two one move of the alias.</summary>
    private static readonly TimeSpan AliasMoveWindow = TimeSpan.FromHours(1);

    // The RevokeGrant or RetireGrant that ended a grant (by its id), from the grant's day on.
    private const string GrantEndSql = """
        SELECT event_name, event_time, event_id, principal_arn
        FROM kms_actions
        WHERE event_date >= $1 AND error_code IS NULL AND event_name IN ('RevokeGrant', 'RetireGrant')
          AND json_extract_string(request_parameters_json, '$.grantId') = $2 AND event_time >= $3
        ORDER BY event_time, event_id
        LIMIT 1
        """;

    private const int MaxPendingWindowDays = 30;

    /// <summary>How soon after a policy or grant change a deletion or disable of the same key by the same principal is reported as following it.</summary>
    private static readonly TimeSpan SequenceWindow = TimeSpan.FromHours(1);

    public static async Task<IReadOnlyList<Finding>> FindAsync(DatasetQuery q, DateOnly day, ISet<string> knownAccounts, ISet<string> knownOrganizations, CancellationToken ct)
    {
        var reversals = await ReversalHistory.LoadAsync(q, day.AddDays(-MaxPendingWindowDays - 1), ct).ConfigureAwait(false);
        var findings = new List<Finding>();
        var accessChanges = new List<(string? Principal, string Key, string Name, DateTime Time, string EventId)>();
        var dayStart = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        foreach (var r in await q.QueryRowsAsync(EarlierAccessChangesSql, ct, day.AddDays(-1), dayStart - SequenceWindow).ConfigureAwait(false))
        {
            if (KeyIdentity(Values.Str(r[4]), Values.Str(r[5]), Values.Str(r[6])) is { } earlierKey && Values.Utc(r[1]) is { } earlierTime)
            {
                accessChanges.Add((Values.Str(r[3]), earlierKey, Values.Str(r[0])!, earlierTime, Values.Str(r[2])!));
            }
        }

        foreach (var r in await q.QueryRowsAsync(Sql, ct, day).ConfigureAwait(false))
        {
            var name = Values.Str(r[0])!;
            var time = Values.Utc(r[1]);
            var key = Values.Str(r[5]) ?? Values.Str(r[6]);
            var keyAccount = Values.Str(r[7]);
            var principal = Values.Str(r[3]);
            var keyIdentity = KeyIdentity(Values.Str(r[5]), Values.Str(r[6]), Values.Str(r[14]));
            if (name is "PutKeyPolicy" or "CreateGrant" && keyIdentity is not null && time is not null)
            {
                accessChanges.Add((principal, keyIdentity, name, time.Value, Values.Str(r[2])!));
            }
            var details = new JsonObject
            {
                ["aws_region"] = Values.Str(r[14]),
                ["source_ip_address"] = Values.Str(r[15]),
                ["user_agent"] = Values.Str(r[16]),
                ["session_name"] = Values.Str(r[17]),
            };
            string kind;
            Severity severity;
            string title;
            string? closingEventId = null;
            switch (name)
            {
                case "ScheduleKeyDeletion":
                    var window = r[8] is null ? (long?)null : Values.Long(r[8]);
                    kind = FindingKind.KeyDeletionScheduled;
                    severity = window is <= 7 ? Severity.Critical : Severity.High;
                    details["pending_window_days"] = window;
                    title = $"Key scheduled for deletion in {window?.ToString(CultureInfo.InvariantCulture) ?? "?"} days";
                    closingEventId = Undone(reversals, Values.Str(r[2])!, time, "cancelled", "cancel", details, ref severity, ref title);

                    break;
                case "DeleteImportedKeyMaterial":
                    kind = FindingKind.KeyMaterialDeleted;
                    severity = Severity.Critical;
                    title = "Imported key material deleted (no waiting period)";
                    break;
                case "DeleteExpiredKeyMaterial":
                    // KMS's own service event: material imported with an expiration date reached it. Every call with the
                    // key fails until the same material is imported again.
                    kind = FindingKind.KeyMaterialDeleted;
                    severity = Severity.High;
                    title = "Imported key material expired and KMS deleted it (the key is unusable until it is imported again)";
                    break;
                case "DeleteKey":
                    // KMS's own service event at the end of a deletion window: irreversible, whatever was encrypted under
                    // the key can no longer be decrypted. Expected when the schedule was seen (and reported then).
                    kind = FindingKind.KeyDeleted;
                    title = "Key deleted at the end of its waiting period";
                    if (reversals.ScheduleCarriedOutBy(Values.Str(r[2])!) is { } schedule)
                    {
                        severity = Severity.Medium;
                        title += $", scheduled {Elapsed(time.GetValueOrDefault() - schedule.Time)} earlier by {schedule.Principal ?? "?"}";
                        details["scheduled_at"] = Iso(schedule.Time);
                        details["scheduled_by"] = schedule.Principal;
                        details["schedule_event_id"] = closingEventId = schedule.EventId;
                    }
                    else
                    {
                        // No ScheduleKeyDeletion in the dataset's last 31 days: nobody here was warned.
                        severity = Severity.High;
                        title += " (its ScheduleKeyDeletion is not in the dataset)";
                    }

                    break;
                case "ImportKeyMaterial":
                    // Whoever holds the material decides when the key stops working (it can expire, or be deleted at once).
                    kind = FindingKind.KeyMaterialImported;
                    severity = Severity.Medium;
                    var expiration = RequestString(Values.Str(r[13]), "expirationModel");
                    details["expiration_model"] = expiration;
                    details["valid_to"] = RequestString(Values.Str(r[13]), "validTo");
                    title = expiration == "KEY_MATERIAL_EXPIRES" ? "Key material imported (expires)" : "Key material imported";
                    break;
                case "DisableKey":
                    kind = FindingKind.KeyDisabled;
                    severity = Severity.High;
                    title = "Key disabled";
                    closingEventId = Undone(reversals, Values.Str(r[2])!, time, "enabled", "enable", details, ref severity, ref title);

                    break;
                case "PutKeyPolicy" or "CreateKey":
                    var bypass = r[12] as bool?;
                    var issues = PolicyLinter.Lint(Values.Str(r[11]), bypass, knownAccounts, knownOrganizations);
                    if (name == "CreateKey" && issues.Count == 0)
                    {
                        continue; // a new key with a clean policy is routine
                    }

                    kind = FindingKind.KeyPolicyChanged;
                    severity = issues.Count == 0 ? Severity.Medium : issues.Max(i => i.Severity);
                    details["lint"] = new JsonArray(issues.Select(i => (JsonNode)new JsonObject { ["rule"] = i.Rule, ["statement"] = i.Statement, ["detail"] = i.Detail }).ToArray());
                    details["policy_json"] = Values.Str(r[11]);
                    title = issues.Count == 0 ? $"Key policy changed ({name})" : $"Key policy changed ({name}): {string.Join(", ", issues.Select(i => i.Rule).Distinct())}";
                    break;
                case "CreateGrant":
                    var grantee = Values.Str(r[9]);
                    var granteeAccount = grantee is null ? null : PolicyLinter.AccountOf(grantee);
                    if (granteeAccount is null || granteeAccount == keyAccount)
                    {
                        continue; // grants inside the key's own account, or to AWS service principals, are routine
                    }

                    kind = FindingKind.GrantCreatedCrossAccount;
                    var external = !knownAccounts.Contains(granteeAccount);
                    severity = external ? Severity.High : Severity.Medium;
                    details["grantee_principal"] = grantee;
                    details["grantee_account_id"] = granteeAccount;
                    details["grantee_outside_known_accounts"] = external;
                    details["operations"] = Values.Str(r[10]);
                    title = $"Grant to {(external ? "an external" : "another")} account ({granteeAccount})";
                    var grantId = Values.Str(r[19]);
                    details["grant_id"] = grantId;
                    if (grantId is not null && time is not null && (await q.QueryRowsAsync(GrantEndSql, ct, day, grantId, time.Value).ConfigureAwait(false)) is [var end, ..])
                    {
                        // Revoked or retired within the hour: the access it opened is closed again (who opened it is still
                        // worth a look); open longer, it could have been used, and the severity stays.
                        var endTime = Values.Utc(end[1]).GetValueOrDefault();
                        severity = endTime - time.Value <= SequenceWindow ? Severity.Low : severity;
                        title += $", {(Values.Str(end[0]) == "RevokeGrant" ? "revoked" : "retired")} {Elapsed(endTime - time.Value)} later";
                        details["ended_by_event"] = Values.Str(end[0]);
                        details["ended_at"] = Iso(endTime);
                        details["ended_by"] = Values.Str(end[3]);
                        details["end_event_id"] = closingEventId = Values.Str(end[2]);
                    }

                    break;
                case "DisableKeyRotation":
                    kind = FindingKind.KeyRotationDisabled;
                    severity = Severity.Medium;
                    title = "Automatic key rotation disabled";
                    closingEventId = Undone(reversals, Values.Str(r[2])!, time, "enabled", "enable", details, ref severity, ref title);

                    break;
                case "ReplicateKey" or "UpdatePrimaryRegion":
                    kind = FindingKind.KeyReplicated;
                    severity = Severity.Medium;
                    details[name == "ReplicateKey" ? "replica_region" : "primary_region"] = RequestString(Values.Str(r[13]), name == "ReplicateKey" ? "replicaRegion" : "primaryRegion");
                    title = name == "ReplicateKey" ? "Multi-Region key replicated" : "Primary Region of a multi-Region key changed";

                    // A replica can be given its own policy: the same grant to the world as a PutKeyPolicy would be.
                    if (name == "ReplicateKey" && Values.Str(r[11]) is { } replicaPolicy)
                    {
                        var replicaIssues = PolicyLinter.Lint(replicaPolicy, r[12] as bool?, knownAccounts, knownOrganizations);
                        if (replicaIssues.Count > 0)
                        {
                            severity = (Severity)Math.Max((int)severity, (int)replicaIssues.Max(i => i.Severity));
                            details["lint"] = new JsonArray(replicaIssues.Select(i => (JsonNode)new JsonObject { ["rule"] = i.Rule, ["statement"] = i.Statement, ["detail"] = i.Detail }).ToArray());
                            details["policy_json"] = replicaPolicy;
                            title += $" with its own policy: {string.Join(", ", replicaIssues.Select(i => i.Rule).Distinct())}";
                        }
                    }

                    break;
                case "UpdateAlias" or "DeleteAlias":
                    // Code that encrypts under an alias follows it: repointed, new data goes to another key; deleted,
                    // those calls fail.
                    var alias = RequestString(Values.Str(r[13]), "aliasName");
                    kind = FindingKind.AliasChanged;
                    severity = name == "UpdateAlias" ? Severity.Medium : Severity.Low;
                    details["alias_name"] = alias;
                    details["target_key_id"] = RequestString(Values.Str(r[13]), "targetKeyId");
                    title = name == "UpdateAlias" ? $"Alias {alias ?? "?"} pointed to another key" : $"Alias {alias ?? "?"} deleted";
                    if (alias is not null && time is not null
                        && (await q.QueryRowsAsync(PreviousAliasTargetSql, ct, Values.Str(r[14]), Values.Str(r[18]), time.Value, alias).ConfigureAwait(false)) is [var previous, ..]
                        && Values.Str(previous[0]) is { } previousKey)
                    {
                        // The data written under the alias until now is encrypted under that key.
                        details["previous_key"] = previousKey;
                        details["previous_target_set_at"] = Values.Utc(previous[1]) is { } setAt ? Iso(setAt) : null;
                        details["previous_target_event_id"] = Values.Str(previous[2]);
                        title += name == "UpdateAlias" ? $" (before: {previousKey})" : $" (it pointed to {previousKey})";
                    }

                    if (name == "DeleteAlias" && alias is not null && time is not null
                        && (await q.QueryRowsAsync(
                            AliasRecreatedSql,
                            ct,
                            Values.Str(r[14]),
                            Values.Str(r[18]),
                            time.Value,
                            time.Value + AliasMoveWindow,
                            DateOnly.FromDateTime(time.Value),
                            DateOnly.FromDateTime(time.Value + AliasMoveWindow),
                            alias).ConfigureAwait(false)) is [var created, ..]
                        && Values.Str(created[0]) is { } newKey
                        && Values.Utc(created[1]) is { } createdAt)
                    {
                        // Deleted and created again: the alias moved, as with UpdateAlias, unless it is back on the same key.
                        var pointedTo = (string?)details["previous_key"];
                        var moved = pointedTo is null || !string.Equals(pointedTo, newKey, StringComparison.Ordinal);
                        severity = moved ? Severity.Medium : Severity.Low;
                        details["recreated_for_key"] = newKey;
                        details["recreated_at"] = Iso(createdAt);
                        details["recreated_by"] = Values.Str(created[3]);
                        details["recreated_event_id"] = Values.Str(created[2]);
                        var gap = createdAt - time.Value;
                        var after = gap.TotalSeconds < 60 ? $"{(int)Math.Round(gap.TotalSeconds)} s" : Elapsed(gap);
                        title = moved
                            ? $"Alias {alias} pointed to another key: deleted and created again {after} later for {newKey}" + (pointedTo is null ? string.Empty : $" (before: {pointedTo})")
                            : $"Alias {alias} deleted and created again {after} later for the same key ({newKey})";
                    }

                    break;
                case "CreateCustomKeyStore" or "UpdateCustomKeyStore" or "DeleteCustomKeyStore" or "ConnectCustomKeyStore" or "DisconnectCustomKeyStore":
                    var store = RequestString(Values.Str(r[13]), "customKeyStoreId") ?? RequestString(Values.Str(r[13]), "customKeyStoreName");
                    kind = FindingKind.CustomKeyStoreChanged;
                    // Disconnecting or deleting a store makes every key in it unusable until it is back.
                    severity = name is "DisconnectCustomKeyStore" or "DeleteCustomKeyStore" ? Severity.High : Severity.Medium;
                    details["custom_key_store"] = store;
                    details["request_parameters"] = Values.Str(r[13]);
                    title = $"Custom key store {store ?? "?"}: {name[..^"CustomKeyStore".Length].ToLowerInvariant()}";
                    break;
                default:
                    var closed = reversals.Reversed(Values.Str(r[2])!);
                    if (closed is not null && DateOnly.FromDateTime(closed.Time) == day)
                    {
                        continue; // reported with the schedule it closes, above
                    }

                    kind = FindingKind.KeyDeletionCancelled;
                    severity = Severity.Info;
                    title = "Key deletion cancelled";
                    if (closed is not null)
                    {
                        details["closes_deletion_scheduled_at"] = Iso(closed.Time);
                        details["schedule_event_id"] = closed.EventId;
                    }

                    break;
            }

            // The destruction sequence: who opened a key's access (a policy or a grant) and then made it unusable, within
            // the hour, did both on purpose; each call alone can be routine.
            if (name is "ScheduleKeyDeletion" or "DisableKey" or "DeleteImportedKeyMaterial" && closingEventId is null
                && accessChanges.FindLast(c => c.Principal == principal && c.Key == keyIdentity && time - c.Time <= SequenceWindow) is { EventId: not null } before)
            {
                title += $", {Elapsed(time.GetValueOrDefault() - before.Time)} after a {before.Name} by the same principal";
                details["preceded_by"] = before.Name;
                details["preceded_at"] = Iso(before.Time);
                details["preceded_by_event_id"] = before.EventId;
            }

            findings.Add(new Finding
            {
                Kind = kind,
                Severity = severity,
                Title = title,
                Principal = principal,
                KeyArn = key,
                CallerAccountId = Values.Str(r[4]),
                KeyAccountId = keyAccount,
                EventName = name,
                Count = 1,
                FirstSeen = time,
                LastSeen = time,
                Details = details,
                EventIds = closingEventId is null ? [Values.Str(r[2])!] : [Values.Str(r[2])!, closingEventId],
            });
        }

        return EscalateMassDestruction(findings);
    }

    /// <summary>
    /// One principal making several keys unusable within the hour (deletion, disable, material deletion; none undone) is
    /// more than housekeeping: every such finding becomes critical and says how many keys.
    /// </summary>
    private static List<Finding> EscalateMassDestruction(List<Finding> findings)
    {
        // Calls someone made: KMS deleting expired material of several keys at once is their expiry dates, not intent.
        static bool Destructive(Finding f) =>
            f.EventName is "ScheduleKeyDeletion" or "DisableKey" or "DeleteImportedKeyMaterial"
            && f.Severity > Severity.Low && f.Principal is not null && f.KeyArn is not null && f.FirstSeen is not null;

        var destructive = findings.Where(Destructive).ToList();
        for (var i = 0; i < findings.Count; i++)
        {
            var f = findings[i];
            if (!Destructive(f))
            {
                continue;
            }

            var group = destructive.Where(o => o.Principal == f.Principal && (o.FirstSeen!.Value - f.FirstSeen!.Value).Duration() <= SequenceWindow).ToList();
            var keys = group.Select(o => o.KeyArn).Distinct(StringComparer.Ordinal).Count();
            if (keys >= 2)
            {
                f.Details!["keys_made_unusable_within_hour"] = keys;

                // A role is one principal whoever assumed it (DOMAIN.md): two people behind one SSO permission set are
                // one principal here, so the title says when the calls came from more than one session.
                var sessions = group.Select(o => o.Details?["session_name"]?.GetValue<string>()).OfType<string>().Where(n => n.Length > 0)
                    .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
                var from = sessions.Count >= 2
                    ? $", from {sessions.Count} sessions: {string.Join(", ", sessions.Take(3))}{(sessions.Count > 3 ? ", …" : string.Empty)}"
                    : string.Empty;
                if (sessions.Count >= 2)
                {
                    f.Details["sessions_within_hour"] = new System.Text.Json.Nodes.JsonArray(sessions.Select(n => (System.Text.Json.Nodes.JsonNode?)n).ToArray());
                }

                findings[i] = f with { Severity = Severity.Critical, Title = f.Title + $" (one of {keys} keys this principal made unusable within an hour{from})" };
            }
        }

        return findings;
    }

    /// <summary>
    /// The later call that undid this one (a deletion cancelled, a key or its rotation enabled again): still worth a look
    /// (who did it, and why), no longer an emergency. The finding drops to low and says when and by whom
    /// (<c>{done}_at</c>, <c>{done}_by</c>, <c>{noun}_event_id</c>); returns the undoing call's event id, or null.
    /// </summary>
    private static string? Undone(ReversalHistory reversals, string eventId, DateTime? time, string done, string noun, JsonObject details, ref Severity severity, ref string title)
    {
        if (reversals.ReversalOf(eventId) is not { } undo)
        {
            return null;
        }

        severity = Severity.Low;
        title += $", {(done == "enabled" ? "enabled again" : done)} {Elapsed(undo.Time - time.GetValueOrDefault())} later";
        details[done + "_at"] = Iso(undo.Time);
        details[done + "_by"] = undo.Principal;
        details[noun + "_event_id"] = undo.EventId;
        return undo.EventId;
    }

    /// <summary>A top-level string of the request parameters, or null (absent, not a string, or not JSON).</summary>
    private static string? RequestString(string? requestJson, string name)
    {
        if (requestJson is null)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(requestJson);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Elapsed(TimeSpan t) =>
        t.TotalMinutes < 90 ? $"{Math.Max(1, (int)Math.Round(t.TotalMinutes))} min"
        : t.TotalHours < 48 ? $"{t.TotalHours:F0} h"
        : $"{t.TotalDays:F0} days";

    /// <summary>Which call undid which, over the calls loaded: a deletion schedule and its cancellation, a disable and the enable after it.</summary>
    private sealed class ReversalHistory
    {
        private static readonly Dictionary<string, string> Undoes = new(StringComparer.Ordinal)
        {
            ["CancelKeyDeletion"] = "ScheduleKeyDeletion",
            ["EnableKey"] = "DisableKey",
            ["EnableKeyRotation"] = "DisableKeyRotation",
        };

        private readonly Dictionary<string, KeyCall> _reversalOf = new(StringComparer.Ordinal);
        private readonly Dictionary<string, KeyCall> _reversed = new(StringComparer.Ordinal);
        private readonly Dictionary<string, KeyCall> _carriedOut = new(StringComparer.Ordinal);

        public static async Task<ReversalHistory> LoadAsync(DatasetQuery q, DateOnly from, CancellationToken ct)
        {
            var history = new ReversalHistory();
            var open = new Dictionary<(string Call, string Key), KeyCall>();
            foreach (var r in await q.QueryRowsAsync(ReversalSql, ct, from).ConfigureAwait(false))
            {
                var key = KeyIdentity(Values.Str(r[4]), Values.Str(r[5]), Values.Str(r[6]));
                if (key is null)
                {
                    continue;
                }

                var name = Values.Str(r[0])!;
                var call = new KeyCall(Values.Str(r[2])!, Values.Utc(r[1]).GetValueOrDefault(), Values.Str(r[3]));
                if (name == "DeleteKey")
                {
                    if (open.Remove(("ScheduleKeyDeletion", key), out var schedule))
                    {
                        history._carriedOut[call.EventId] = schedule;
                    }
                }
                else if (!Undoes.TryGetValue(name, out var undone))
                {
                    open[(name, key)] = call;
                }
                else if (open.Remove((undone, key), out var earlier))
                {
                    history._reversalOf[earlier.EventId] = call;
                    history._reversed[call.EventId] = earlier;
                }
            }

            return history;
        }

        /// <summary>The later call that undid the call <paramref name="eventId"/> (its cancellation, or the enable), if any.</summary>
        public KeyCall? ReversalOf(string eventId) => _reversalOf.GetValueOrDefault(eventId);

        /// <summary>The earlier call that the reversal <paramref name="eventId"/> undid, if any.</summary>
        public KeyCall? Reversed(string eventId) => _reversed.GetValueOrDefault(eventId);

        /// <summary>The ScheduleKeyDeletion that KMS's DeleteKey <paramref name="eventId"/> carried out, if it is in the history.</summary>
        public KeyCall? ScheduleCarriedOutBy(string eventId) => _carriedOut.GetValueOrDefault(eventId);
    }

    private sealed record KeyCall(string EventId, DateTime Time, string? Principal);

    /// <summary>
    /// One spelling per key for matching its calls: region and key id, whether the call named the key by ARN, id or
    /// multi-Region id (a replica shares its id with the primary, so the region is part of it); aliases by their text.
    /// </summary>
    internal static string? KeyIdentity(string? keyArn, string? keyRef, string? eventRegion)
    {
        if ((keyArn ?? keyRef) is not { } key)
        {
            return null;
        }

        var marker = key.IndexOf(":key/", StringComparison.Ordinal);
        if (marker >= 0 && key.StartsWith("arn:", StringComparison.Ordinal))
        {
            var parts = key.Split(':');
            return parts.Length > 3 ? parts[3] + "/" + key[(marker + 5)..] : null;
        }

        // A key id or mrk- id is the key in the region the call was made in; an alias is matched by its text.
        return eventRegion + "/" + key;
    }
}
