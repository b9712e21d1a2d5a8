using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Query;
using Pipeline.Reporting;

namespace Pipeline.Analysis;

/// <summary>
/// Findings about who calls: principals never seen before, principals new to a key, callers from accounts outside the
/// known set, and bursts of access-denied errors. A service acting for a caller is the caller's use of the key; AWS
/// services' own work is never a principal, and session names never make a principal new (sessions are folded into
/// their role).
/// </summary>
internal static class PrincipalFindings
{
    public static async Task<IReadOnlyList<Finding>> NewPrincipalsAsync(DatasetQuery q, DateOnly day, AnalysisOptions options, ISet<string> knownAccounts, CancellationToken ct)
    {
        var lookbackStart = day.AddDays(-options.NewPrincipalLookbackDays);
        var history = await DataCoverage.HistoryStartAsync(q, day, lookbackStart, ct).ConfigureAwait(false);
        if (history > day.AddDays(-options.MinBaselineDays))
        {
            return []; // not enough history to call anything new
        }

        var span = LookbackText(history, lookbackStart, day, options);

        var rows = await q.QueryRowsAsync(
            $"""
            WITH today AS (
                SELECT principal_arn, key_arn, any_value(key_id) AS key_id, {OneKind} AS kind, any_value(caller_account_id) AS caller,
                       any_value(key_account_id) AS key_account, count(*) AS n,
                       min(event_time) AS first_seen, max(event_time) AS last_seen,
                       list(event_id ORDER BY event_time, event_id)[1:10] AS ids,
                       string_agg(DISTINCT event_name, ',' ORDER BY event_name) AS ops,
                       list_sort(list(DISTINCT source_ip_address) FILTER (WHERE source_ip_address IS NOT NULL)) AS ips,
                       list_sort(list(DISTINCT access_key_id) FILTER (WHERE access_key_id IS NOT NULL)) AS access_keys,
                       list_sort(list(DISTINCT user_agent) FILTER (WHERE user_agent IS NOT NULL)) AS agents
                FROM kms_actions
                WHERE event_date = $1 AND error_code IS NULL AND principal_arn IS NOT NULL AND {PrincipalUse}
                  AND (event_name IN ('Decrypt', 'Encrypt', 'Sign', 'Verify', 'GenerateMac', 'VerifyMac', 'DeriveSharedSecret')
                       OR event_name LIKE 'GenerateDataKey%' OR event_name LIKE 'ReEncrypt%')
                GROUP BY principal_arn, key_arn),
            before AS (
                SELECT DISTINCT principal_arn, key_arn, key_id, key_account_id FROM kms_events_all
                WHERE event_date >= $2 AND event_date < $1 AND principal_arn IS NOT NULL),
            principals_before AS (SELECT DISTINCT principal_arn FROM before)
            SELECT t.principal_arn, t.key_arn, t.kind, t.caller, t.key_account, t.n, t.first_seen, t.last_seen, t.ids, t.ops,
                   t.principal_arn IN (SELECT principal_arn FROM principals_before) AS principal_known,
                   -- a multi-Region key's replicas share its id (mrk-...) and material: a principal that used one of
                   -- them (a disaster-recovery day moves to the replica) is not new to the others
                   EXISTS (SELECT 1 FROM before b WHERE b.principal_arn = t.principal_arn
                           AND (b.key_arn IS NOT DISTINCT FROM t.key_arn
                                OR (t.key_id LIKE 'mrk-%' AND b.key_id = t.key_id AND b.key_account_id = t.key_account))) AS pair_known,
                   t.ips, t.access_keys, t.agents
            FROM today t
            ORDER BY t.principal_arn, t.key_arn
            """,
            ct,
            day,
            lookbackStart).ConfigureAwait(false);

        var findings = new List<Finding>();
        var newPrincipals = new Dictionary<string, List<object?[]>>(StringComparer.Ordinal);
        foreach (var r in rows)
        {
            var principal = Values.Str(r[0])!;
            if (options.IsAllowedPrincipal(principal))
            {
                continue;
            }

            if (!(bool)r[10]!)
            {
                newPrincipals.TryAdd(principal, []);
                newPrincipals[principal].Add(r);
                continue;
            }

            if (!(bool)r[11]! && r[1] is not null)
            {
                var external = Values.Str(r[3]) is { } caller && !knownAccounts.Contains(caller);
                findings.Add(new Finding
                {
                    Kind = FindingKind.NewPrincipalForKey,
                    Severity = external ? Severity.High : Severity.Medium,
                    Title = $"{Describe(principal, Values.Str(r[2]), Values.Str(r[3]))} used this key for the first time in {span} ({Counted.Of(Values.Long(r[5]), "call")}: {Values.Str(r[9])})",
                    Principal = principal,
                    KeyArn = Values.Str(r[1]),
                    CallerAccountId = Values.Str(r[3]),
                    KeyAccountId = Values.Str(r[4]),
                    EventName = Values.Str(r[9]),
                    Count = Values.Long(r[5]),
                    FirstSeen = Values.Utc(r[6]),
                    LastSeen = Values.Utc(r[7]),
                    Details = WithOrigins(new JsonObject { ["principal_kind"] = Values.Str(r[2]), ["lookback_days"] = options.NewPrincipalLookbackDays }, [r]),
                    EventIds = Values.Strings(r[8]),
                });
            }
        }

        foreach (var (principal, pairs) in newPrincipals)
        {
            var caller = pairs.Select(p => Values.Str(p[3])).FirstOrDefault(c => c is not null);
            var external = caller is not null && !knownAccounts.Contains(caller);
            findings.Add(new Finding
            {
                Kind = FindingKind.NewPrincipal,
                Severity = external ? Severity.High : Severity.Medium,
                Title = $"New principal: {Describe(principal, Values.Str(pairs[0][2]), caller)} made its first KMS calls in {span} ({Counted.Of(pairs.Sum(p => Values.Long(p[5])), "call")} on {Counted.Of(pairs.Count, "key")})",
                Principal = principal,
                KeyArn = pairs.Count == 1 ? Values.Str(pairs[0][1]) : null,
                CallerAccountId = caller,
                KeyAccountId = pairs.Count == 1 ? Values.Str(pairs[0][4]) : null,
                EventName = string.Join(",", pairs.Select(p => Values.Str(p[9])).Distinct()),
                Count = pairs.Sum(p => Values.Long(p[5])),
                FirstSeen = pairs.Min(p => Values.Utc(p[6])),
                LastSeen = pairs.Max(p => Values.Utc(p[7])),
                Details = WithOrigins(
                    new JsonObject
                    {
                        ["principal_kind"] = Values.Str(pairs[0][2]),
                        ["keys"] = new JsonArray(pairs.Select(p => (JsonNode?)JsonValue.Create(Values.Str(p[1]))).ToArray()),
                        ["outside_known_accounts"] = external,
                    },
                    pairs),
                EventIds = pairs.SelectMany(p => Values.Strings(p[8])).Take(10).ToList(),
            });
        }

        return findings;
    }

    /// <summary>
    /// Where a newcomer's calls came from (columns 12-14 of the new-principal rows): its source IPs, access keys and user
    /// agents, up to <see cref="MaxOrigins"/> each, so an analyst sees a new access key or address without opening the events.
    /// </summary>
    private static JsonObject WithOrigins(JsonObject details, IEnumerable<object?[]> rows)
    {
        var list = rows.ToList();
        foreach (var (name, column) in new[] { ("source_ip_addresses", 12), ("access_key_ids", 13), ("user_agents", 14) })
        {
            var values = list.SelectMany(r => Values.Strings(r[column])).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            details[name] = new JsonArray(values.Take(MaxOrigins).Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
            if (values.Count > MaxOrigins)
            {
                details[name + "_total"] = values.Count;
            }
        }

        return details;
    }

    private const int MaxOrigins = 5;

    /// <summary>What "first in ..." covers: the lookback, or the days of data when the dataset starts inside it.</summary>
    internal static string LookbackText(DateOnly history, DateOnly lookbackStart, DateOnly day, AnalysisOptions options) =>
        history > lookbackStart ? $"the {day.DayNumber - history.DayNumber} days of data" : $"{options.NewPrincipalLookbackDays} days";

    /// <summary>
    /// The kind of a principal's calls in one group (SQL). An account's root user and a caller CloudTrail names only by
    /// that account (<c>AWSAccount</c>) share one ARN, so a group can hold both: it is the root user's then, the same in
    /// every run (<c>any_value</c> gave either, and the finding's title changed with it).
    /// </summary>
    private const string OneKind = "CASE WHEN bool_or(principal_kind = 'root') THEN 'root' ELSE min(principal_kind) END";

    /// <summary>
    /// How a title names a principal. A caller from another account that CloudTrail does not name (userIdentity type
    /// AWSAccount) is stored as the account's principal ARN, <c>arn:aws:iam::&lt;account&gt;:root</c>, which would read as
    /// that account's root user.
    /// </summary>
    internal static string Describe(string principal, string? kind, string? callerAccount) =>
        kind == "account" ? $"a caller in account {callerAccount ?? PolicyLinter.AccountOf(principal) ?? principal} (CloudTrail names only the account)" : principal;

    /// <summary>
    /// The calls that are a principal's use of a key, for new principals, the cross-account alarm and its flows (SQL
    /// over <c>kms_actions</c>): every call except an AWS service's own work (a service identity, or AWS's internal
    /// callers acting from an account of AWS's, see <see cref="NotAwsOwnWork"/>). A call a service makes for a named
    /// principal (<c>invokedBy</c> <c>s3.amazonaws.com</c> while an outside role reads objects encrypted with the key)
    /// is that principal's use of the key and counts.
    /// </summary>
    internal const string PrincipalUse = "coalesce(principal_kind, '') <> 'service' AND " + NotAwsOwnWork;

    /// <summary>
    /// Calls that are not AWS's own work by its internal callers (<c>invokedBy</c> <c>AWS Internal</c>, <c>Amazon
    /// Internal</c>, <c>internal.amazonaws.com</c>) from an account of AWS's: CloudTrail's own account writing a trail's
    /// log files under the trail's key is recorded only in the key owner's trail, as a user of that other account. The
    /// same callers recorded in the caller's own account's trail act for the principal named: SSM Parameter Store
    /// decrypting the SecureString parameters a user asked for is a Decrypt by that user with <c>invokedBy</c>
    /// <c>AWS Internal</c> (Stratus Red Team's published detonation of that credential theft shows it so), and counts as
    /// the user's (SQL over <c>kms_actions</c>).
    /// </summary>
    internal const string NotAwsOwnWork =
        "(coalesce(invoked_by, '') NOT IN ('AWS Internal', 'Amazon Internal', 'internal.amazonaws.com') OR caller_account_id = recipient_account_id)";

    public static async Task<(IReadOnlyList<Finding> Findings, IReadOnlyList<Reporting.AccountFlow> Flows)> CrossAccountAsync(
        DatasetQuery q, DateOnly day, AnalysisOptions options, ISet<string> knownAccounts, CancellationToken ct)
    {
        var rows = await q.QueryRowsAsync(
            $"""
            SELECT caller_account_id, key_account_id, principal_arn, key_arn,
                   count(*) AS n, count(*) FILTER (WHERE event_name = 'Decrypt') AS decrypts,
                   count(*) FILTER (WHERE error_code IS NOT NULL) AS failed,
                   min(event_time), max(event_time), list(event_id ORDER BY event_time, event_id)[1:10],
                   string_agg(DISTINCT event_name, ',' ORDER BY event_name), string_agg(DISTINCT invoked_by, ',' ORDER BY invoked_by)
            FROM kms_actions
            WHERE event_date = $1 AND is_cross_account AND {PrincipalUse}
            GROUP BY ALL
            ORDER BY n DESC, caller_account_id, principal_arn, key_arn
            """,
            ct,
            day).ConfigureAwait(false);

        // One finding per foreign account and key: the named callers and the calls CloudTrail shows only as the account
        // are the same incident.
        var alerts = new Dictionary<(string Caller, string KeyAccount, string? Key), List<object?[]>>();
        var flows = new Dictionary<(string, string), long>();
        foreach (var r in rows)
        {
            var caller = Values.Str(r[0])!;
            var keyAccount = Values.Str(r[1])!;
            flows[(caller, keyAccount)] = flows.GetValueOrDefault((caller, keyAccount)) + Values.Long(r[4]);
            var principal = Values.Str(r[2]);
            if (knownAccounts.Contains(caller) || options.IsAllowedPrincipal(principal))
            {
                continue; // calls between our own accounts are routine; any use of a key from outside is an alarm
            }

            var id = (caller, keyAccount, Values.Str(r[3]));
            if (!alerts.TryGetValue(id, out var group))
            {
                alerts[id] = group = [];
            }

            group.Add(r);
        }

        // An outside account that used the key on earlier days too (a partner reading shared data every day) is news
        // once: its first day is high, later days medium, with how often it was seen, and low once it has used the key on
        // MinBaselineDays earlier days (established: still listed, and its volume is scored like any principal's).
        var lookbackStart = day.AddDays(-options.NewPrincipalLookbackDays);
        var history = await DataCoverage.HistoryStartAsync(q, day, lookbackStart, ct).ConfigureAwait(false);
        var before = new Dictionary<(string, string), long>();
        if (alerts.Count > 0)
        {
            foreach (var r in await q.QueryRowsAsync(
                $"""
                SELECT caller_account_id, coalesce(key_arn, ''), count(DISTINCT event_date)
                FROM kms_actions
                WHERE event_date >= $2 AND event_date < $1 AND is_cross_account AND {PrincipalUse}
                GROUP BY ALL
                """,
                ct,
                day,
                lookbackStart).ConfigureAwait(false))
            {
                before[(Values.Str(r[0])!, Values.Str(r[1])!)] = Values.Long(r[2]);
            }
        }

        var findings = new List<Finding>();
        foreach (var ((caller, keyAccount, key), group) in alerts)
        {
            var daysBefore = before.GetValueOrDefault((caller, key ?? string.Empty));
            var historyDays = day.DayNumber - history.DayNumber;
            var principals = group.Select(r => Values.Str(r[2])).Distinct().ToList();
            var operations = string.Join(",", group.SelectMany(r => (Values.Str(r[10]) ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries)).Distinct().Order(StringComparer.Ordinal));
            var decrypts = group.Sum(r => Values.Long(r[5]));
            var services = string.Join(",", group.SelectMany(r => (Values.Str(r[11]) ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries)).Distinct().Order(StringComparer.Ordinal));
            var calls = group.Sum(r => Values.Long(r[4]));
            var failed = group.Sum(r => Values.Long(r[6]));

            // Every call refused: an attempt, not a use (its access-denied burst, if large enough, is a finding too).
            findings.Add(new Finding
            {
                Kind = FindingKind.CrossAccountDecrypt,
                Severity = failed < calls && daysBefore >= options.MinBaselineDays ? Severity.Low
                    : daysBefore > 0 || failed == calls ? Severity.Medium : Severity.High,
                Title = (failed == calls
                    ? $"Account {caller} (outside the known accounts) tried to use a key of account {keyAccount} ({operations}): {(calls == 1 ? "the call was" : $"all {calls:N0} calls were")} denied"
                    : decrypts > 0
                    ? $"Account {caller} (outside the known accounts) decrypted with a key of account {keyAccount}{(failed > 0 ? $" ({failed:N0} of {Counted.Of(calls, "call")} denied)" : string.Empty)}"
                    : $"Account {caller} (outside the known accounts) used a key of account {keyAccount} ({operations}){(failed > 0 ? $" ({failed:N0} of {Counted.Of(calls, "call")} denied)" : string.Empty)}")
                    + (services.Length > 0 ? $" through {services}" : string.Empty)
                    + (daysBefore > 0 ? $"; it did so on {daysBefore} of the previous {historyDays} days too" : string.Empty),
                Principal = principals.Count == 1 ? principals[0] : null,
                KeyArn = key,
                CallerAccountId = caller,
                KeyAccountId = keyAccount,
                EventName = operations,
                Count = calls,
                FirstSeen = group.Min(r => Values.Utc(r[7])),
                LastSeen = group.Max(r => Values.Utc(r[8])),
                Details = new JsonObject
                {
                    ["decrypt_calls"] = decrypts,
                    ["failed_calls"] = failed,
                    ["days_seen_before"] = daysBefore,
                    ["lookback_days"] = historyDays,
                    ["operations"] = operations,
                    ["through_services"] = services.Length > 0 ? services : null,
                    ["principals"] = new JsonArray(principals.Select(p => (JsonNode?)JsonValue.Create(p)).ToArray()),
                },
                EventIds = group.SelectMany(r => Values.Strings(r[9])).Take(10).ToList(),
            });
        }

        var flowList = flows.Select(f => new Reporting.AccountFlow(f.Key.Item1, f.Key.Item2, f.Value, !knownAccounts.Contains(f.Key.Item1)))
            .OrderByDescending(f => f.Calls).ThenBy(f => f.CallerAccountId, StringComparer.Ordinal).ToList();
        return (findings, flowList);
    }

    /// <summary>
    /// ReEncrypt calls that moved data from one of the keys to a key of an account outside the known accounts: the KMS
    /// side of ransomware that re-encrypts data under a key its owner does not control (seen even when S3 data events are
    /// off). The destination is <c>requestParameters.destinationKeyId</c> when it is a key ARN (a key of another account can
    /// only be named by ARN, of the key or of an alias), else the key in <c>resources[]</c> that is not the source, else
    /// the alias ARN as the caller wrote it.
    /// </summary>
    public static async Task<IReadOnlyList<Finding>> ExternalReEncryptsAsync(DatasetQuery q, DateOnly day, AnalysisOptions options, ISet<string> knownAccounts, CancellationToken ct)
    {
        var rows = await q.QueryRowsAsync(
            """
            SELECT principal_arn, caller_account_id, key_arn, key_account_id,
                   json_extract_string(request_parameters_json, '$.destinationKeyId'), resources_json, event_id, event_time
            FROM kms_actions
            WHERE event_date = $1 AND event_name = 'ReEncrypt' AND error_code IS NULL
            ORDER BY event_time, event_id
            """,
            ct,
            day).ConfigureAwait(false);
        var groups = new Dictionary<(string? Principal, string? Source, string Destination), List<object?[]>>();
        foreach (var r in rows)
        {
            var source = Values.Str(r[2]);
            var destination = Destination(Values.Str(r[4]), Values.Str(r[5]), source);
            var destinationAccount = destination is null ? null : PolicyLinter.AccountOf(destination);
            if (destinationAccount is null || destinationAccount == Values.Str(r[3]) || knownAccounts.Contains(destinationAccount)
                || options.IsAllowedPrincipal(Values.Str(r[0])))
            {
                continue;
            }

            var id = (Values.Str(r[0]), source, destination!);
            if (!groups.TryGetValue(id, out var group))
            {
                groups[id] = group = [];
            }

            group.Add(r);
        }

        return groups.Select(g =>
        {
            var account = PolicyLinter.AccountOf(g.Key.Destination)!;
            return new Finding
            {
                Kind = FindingKind.ReEncryptedToExternalKey,
                Severity = Severity.High,
                Title = $"Data re-encrypted under a key of account {account} (outside the known accounts)",
                Principal = g.Key.Principal,
                KeyArn = g.Key.Source,
                CallerAccountId = Values.Str(g.Value[0][1]),
                KeyAccountId = Values.Str(g.Value[0][3]),
                EventName = "ReEncrypt",
                Count = g.Value.Count,
                FirstSeen = Values.Utc(g.Value[0][7]),
                LastSeen = Values.Utc(g.Value[^1][7]),
                Details = new JsonObject { ["destination_key"] = g.Key.Destination, ["destination_account_id"] = account },
                EventIds = g.Value.Take(10).Select(r => Values.Str(r[6])!).ToList(),
            };
        }).ToList();
    }

    /// <summary>
    /// Data of the organization's principals put under a key of an account outside the known accounts: successful
    /// <c>Encrypt</c> and <c>GenerateDataKey*</c> calls with such a key, directly or through a service acting for the
    /// principal (S3 server-side encryption with a foreign key is how ransomware locks a bucket's new objects without
    /// ever holding the data). A principal and key seen together in the lookback window before the report day are an
    /// established pairing (a partner's key in use for weeks) and not reported again; AWS services' own work is left out
    /// (<see cref="PrincipalUse"/>: they encrypt with keys of their own accounts, e.g. CloudTrail with the trail's key).
    /// </summary>
    public static async Task<IReadOnlyList<Finding>> ExternalEncryptsAsync(DatasetQuery q, DateOnly day, AnalysisOptions options, ISet<string> knownAccounts, CancellationToken ct)
    {
        var rows = await q.QueryRowsAsync(
            $"""
            WITH today AS (
                SELECT principal_arn, {OneKind} AS kind, any_value(caller_account_id) AS caller, key_arn, key_account_id,
                       count(*) AS n, min(event_time) AS first_seen, max(event_time) AS last_seen,
                       list(event_id ORDER BY event_time, event_id)[1:10] AS ids,
                       string_agg(DISTINCT event_name, ',' ORDER BY event_name) AS ops,
                       string_agg(DISTINCT invoked_by, ',' ORDER BY invoked_by) AS via
                FROM kms_actions
                WHERE event_date = $1 AND error_code IS NULL AND key_account_id IS NOT NULL AND principal_arn IS NOT NULL
                  AND {PrincipalUse} AND (event_name = 'Encrypt' OR event_name LIKE 'GenerateDataKey%')
                GROUP BY principal_arn, key_arn, key_account_id)
            SELECT t.*, EXISTS (
                       SELECT 1 FROM kms_events_all b
                       WHERE b.event_date >= $2 AND b.event_date < $1 AND b.principal_arn = t.principal_arn AND b.key_arn = t.key_arn) AS seen_before
            FROM today t
            ORDER BY t.first_seen, t.principal_arn, t.key_arn
            """,
            ct,
            day,
            day.AddDays(-options.NewPrincipalLookbackDays)).ConfigureAwait(false);

        var findings = new List<Finding>();
        foreach (var r in rows)
        {
            var principal = Values.Str(r[0])!;
            var keyAccount = Values.Str(r[4])!;
            if (knownAccounts.Contains(keyAccount) || (bool)r[11]! || options.IsAllowedPrincipal(principal))
            {
                continue;
            }

            var via = Values.Str(r[10]);
            var details = new JsonObject { ["operations"] = Values.Str(r[9]) };
            if (via is not null)
            {
                details["invoked_by"] = via;
            }

            findings.Add(new Finding
            {
                Kind = FindingKind.EncryptedWithExternalKey,
                Severity = Severity.High,
                Title = $"Data encrypted under a key of account {keyAccount} (outside the known accounts){(via is null ? string.Empty : $" through {via}")}, a key not used by this principal before",
                Principal = principal,
                KeyArn = Values.Str(r[3]),
                CallerAccountId = Values.Str(r[2]),
                KeyAccountId = keyAccount,
                EventName = Values.Str(r[9]),
                Count = Values.Long(r[5]),
                FirstSeen = Values.Utc(r[6]),
                LastSeen = Values.Utc(r[7]),
                Details = details,
                EventIds = Values.Strings(r[8]),
            });
        }

        return findings;
    }

    /// <summary>The destination key of a ReEncrypt: the request's key ARN, else a key in resources[] other than the source, else the request's alias ARN.</summary>
    private static string? Destination(string? requested, string? resourcesJson, string? source)
    {
        if (requested is not null && requested.StartsWith("arn:", StringComparison.Ordinal) && requested.Contains(":key/", StringComparison.Ordinal))
        {
            return requested;
        }

        // An alias ARN names the key's account but not the key: the key is the one of resources[] that is not the source,
        // and only without one is the alias ARN the destination (one key, named two ways, is one finding).
        var requestedArn = requested is not null && requested.StartsWith("arn:", StringComparison.Ordinal) ? requested : null;
        return ResourceDestination(resourcesJson, source) ?? requestedArn;
    }

    private static string? ResourceDestination(string? resourcesJson, string? source)
    {
        if (resourcesJson is null)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(resourcesJson);
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            foreach (var resource in doc.RootElement.EnumerateArray())
            {
                if (resource.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                foreach (var property in resource.EnumerateObject())
                {
                    if (property.Name.Equals("arn", StringComparison.OrdinalIgnoreCase) && property.Value.ValueKind == JsonValueKind.String
                        && property.Value.GetString() is { } arn && arn.Contains(":key/", StringComparison.Ordinal) && arn != source)
                    {
                        return arn;
                    }
                }
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    /// <summary>
    /// Each principal's daily count of the calls that match <paramref name="filter"/> (SQL over <c>kms_actions</c>) on a
    /// zero-filled calendar, scored for the report day against its baseline; only principals with such calls on the
    /// day and not allowed by configuration.
    /// </summary>
    internal static async Task<List<(string Principal, SeriesScore Score)>> DailyScoresAsync(
        DatasetQuery q, DateOnly day, AnalysisOptions options, string filter, CancellationToken ct)
    {
        // As for the volume series, days before the dataset's first day are not days without calls.
        var start = await DataCoverage.BaselineStartAsync(q, day, options, ct).ConfigureAwait(false);
        if (start == day)
        {
            return []; // the dataset's first day: no day to compare with, so no count can be unusual
        }

        var rows = await q.QueryRowsAsync(
            $"""
            SELECT principal_arn, event_date, count(*)
            FROM kms_actions
            WHERE event_date BETWEEN $1 AND $2 AND principal_arn IS NOT NULL AND ({filter})
            GROUP BY ALL
            """,
            ct,
            start,
            day).ConfigureAwait(false);
        var dates = Enumerable.Range(0, day.DayNumber - start.DayNumber).Select(i => start.AddDays(i)).ToArray();
        var scores = new List<(string, SeriesScore)>();
        foreach (var group in rows.GroupBy(r => Values.Str(r[0])!))
        {
            var counts = group.ToDictionary(r => Values.Date(r[1]), r => Values.Long(r[2]));
            if (!counts.ContainsKey(day) || options.IsAllowedPrincipal(group.Key))
            {
                continue;
            }

            var filled = SeriesStatistics.ZeroFill(counts, start, day);
            scores.Add((group.Key, SeriesStatistics.Score(filled[..^1], dates, day, filled[^1], options)));
        }

        return scores;
    }

    /// <summary>
    /// A denied call: KMS's or IAM's AccessDenied*, or a VPC endpoint's policy refusing the call (VpceAccessDenied, known
    /// only from a network activity event).
    /// </summary>
    internal const string Denied = "(error_code LIKE 'AccessDenied%' OR error_code = 'VpceAccessDenied')";

    public static async Task<IReadOnlyList<Finding>> AccessDeniedBurstsAsync(DatasetQuery q, DateOnly day, AnalysisOptions options, CancellationToken ct)
    {
        var findings = new List<Finding>();
        foreach (var (principal, score) in await DailyScoresAsync(q, day, options, Denied, ct).ConfigureAwait(false))
        {
            if (score.Count < options.MinFailedCalls || score.Z < options.ZThreshold || score.PValue > options.MaxPValue)
            {
                continue;
            }

            var sample = await q.QueryRowsAsync(
                $"""
                SELECT event_id, event_time, caller_account_id, key_arn, error_code, event_name, key_account_id
                FROM kms_actions WHERE event_date = $1 AND principal_arn = $2 AND {Denied}
                ORDER BY event_time, event_id
                """,
                ct,
                day,
                principal).ConfigureAwait(false);
            var oneKey = sample.Select(s => Values.Str(s[3])).Distinct().Count() == 1;
            var keyAccounts = sample.Select(s => Values.Str(s[6])).Where(a => a is not null).Distinct().ToList();
            findings.Add(new Finding
            {
                Kind = FindingKind.AccessDeniedBurst,
                Severity = Severity.High,
                Title = $"{principal}: {Counted.Of(score.Count, "access-denied KMS call")} vs {score.Mean:F1}/day {VolumeAnomalies.Basis(score, day)}baseline",
                Principal = principal,
                KeyArn = oneKey ? Values.Str(sample[0][3]) : null,
                KeyAccountId = keyAccounts.Count == 1 ? keyAccounts[0] : null,
                CallerAccountId = Values.Str(sample[0][2]),
                EventName = string.Join(",", sample.Select(s => Values.Str(s[5])).Distinct()),
                Count = score.Count,
                BaselineMean = Math.Round(score.Mean, 3),
                BaselineStdDev = Math.Round(score.StdDev, 3),
                ZScore = Math.Round(score.Z, 2),
                PValue = score.PValue,
                FirstSeen = Values.Utc(sample[0][1]),
                LastSeen = Values.Utc(sample[^1][1]),
                Details = new JsonObject
                {
                    ["error_codes"] = string.Join(",", sample.Select(s => Values.Str(s[4])).Distinct()),
                    ["floored_stddev"] = Math.Round(score.FlooredStdDev, 3),
                    ["keys"] = sample.Select(s => Values.Str(s[3])).Distinct().Count(),
                },
                EventIds = sample.Take(10).Select(s => Values.Str(s[0])!).ToList(),
            });
        }

        findings.AddRange(await MidnightDeniedBurstsAsync(q, day, options, ct).ConfigureAwait(false));
        return findings;
    }

    /// <summary>
    /// Refused calls packed into the hour around the end of <paramref name="day"/>: a 60-minute window that begins in its
    /// last hour and ends on the next day, reported with the day it begins on (so once, and in the report of the day the
    /// enumeration started). Counted per day, 36 refused calls from 23:45 to 00:15 are 18 and 18, each below
    /// <see cref="AnalysisOptions.MinFailedCalls"/>; an enumeration does not stop at midnight. Reported only when neither
    /// day's own count reaches the minimum (the daily check sees it then), and when the window's count is anomalous
    /// against the principal's daily counts before <paramref name="day"/>. Needs the next day's first hour in the data.
    /// </summary>
    private static async Task<IReadOnlyList<Finding>> MidnightDeniedBurstsAsync(DatasetQuery q, DateOnly day, AnalysisOptions options, CancellationToken ct)
    {
        var midnight = Values.ToUtcDateTime(day.AddDays(1));
        var windows = await q.QueryRowsAsync(
            $"""
            WITH calls AS (
                SELECT principal_arn, event_time, event_id, event_date FROM kms_actions
                WHERE event_date BETWEEN $1 AND $2 AND event_time >= $3 AND event_time < $5 AND principal_arn IS NOT NULL AND {Denied}),
            windows AS (
                SELECT a.principal_arn, a.event_time AS start, count(*) AS n, max(b.event_time) AS last,
                       list(b.event_id ORDER BY b.event_time, b.event_id)[1:10] AS ids,
                       count(*) FILTER (WHERE b.event_time < $4) AS before_midnight
                FROM calls a JOIN calls b ON b.principal_arn = a.principal_arn
                    AND b.event_time >= a.event_time AND b.event_time < a.event_time + INTERVAL 1 HOUR
                WHERE a.event_time < $4
                GROUP BY ALL
                HAVING max(b.event_time) >= $4)
            SELECT w.principal_arn, w.start, w.last, w.n, w.ids, w.before_midnight,
                   (SELECT count(*) FROM kms_actions k WHERE k.event_date = $1 AND k.principal_arn = w.principal_arn AND {Denied}) AS on_day,
                   (SELECT count(*) FROM kms_actions k WHERE k.event_date = $2 AND k.principal_arn = w.principal_arn AND {Denied}) AS next_day
            FROM windows w
            QUALIFY row_number() OVER (PARTITION BY w.principal_arn ORDER BY w.n DESC, w.start) = 1
            ORDER BY w.principal_arn
            """,
            ct,
            day,
            day.AddDays(1),
            midnight.AddHours(-1),
            midnight,
            midnight.AddHours(1)).ConfigureAwait(false);
        var findings = new List<Finding>();
        foreach (var w in windows)
        {
            var principal = Values.Str(w[0])!;
            var count = Values.Long(w[3]);
            if (count < options.MinFailedCalls || Values.Long(w[6]) >= options.MinFailedCalls || Values.Long(w[7]) >= options.MinFailedCalls
                || options.IsAllowedPrincipal(principal))
            {
                continue;
            }

            // The days before the report day are the baseline (a window is compared with whole days).
            var start = await DataCoverage.BaselineStartAsync(q, day, options, ct).ConfigureAwait(false);
            if (start >= day)
            {
                continue;
            }

            var counts = (await q.QueryRowsAsync(
                $"SELECT event_date, count(*) FROM kms_actions WHERE event_date >= $1 AND event_date < $2 AND principal_arn = $3 AND {Denied} GROUP BY 1",
                ct,
                start,
                day,
                principal).ConfigureAwait(false)).ToDictionary(r => Values.Date(r[0]), r => Values.Long(r[1]));
            var filled = SeriesStatistics.ZeroFill(counts, start, day);
            var dates = Enumerable.Range(0, filled.Length - 1).Select(i => start.AddDays(i)).ToArray();
            var score = SeriesStatistics.Score(filled[..^1], dates, day, count, options);
            if (score.Z < options.ZThreshold || score.PValue > options.MaxPValue)
            {
                continue;
            }

            var first = Values.Utc(w[1])!.Value;
            var last = Values.Utc(w[2])!.Value;
            findings.Add(new Finding
            {
                Kind = FindingKind.AccessDeniedBurst,
                Severity = Severity.High,
                Title = $"{principal}: {Counted.Of(count, "access-denied KMS call")} from {first:yyyy-MM-dd HH:mm} to {last:yyyy-MM-dd HH:mm} UTC, across midnight, vs {score.Mean:F1}/day {VolumeAnomalies.Basis(score, day)}baseline",
                Principal = principal,
                Count = count,
                BaselineMean = Math.Round(score.Mean, 3),
                BaselineStdDev = Math.Round(score.StdDev, 3),
                ZScore = Math.Round(score.Z, 2),
                PValue = score.PValue,
                FirstSeen = first,
                LastSeen = last,
                Details = new JsonObject
                {
                    ["granularity"] = "hour_across_midnight",
                    ["calls_before_midnight"] = Values.Long(w[5]),
                    ["calls_after_midnight"] = count - Values.Long(w[5]),
                    ["floored_stddev"] = Math.Round(score.FlooredStdDev, 3),
                },
                EventIds = Values.Strings(w[4]),
            });
        }

        return findings;
    }
}
