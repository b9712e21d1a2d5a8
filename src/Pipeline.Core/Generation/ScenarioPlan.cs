using System.Globalization;
using Pipeline.Analysis;

namespace Pipeline.Generation;

/// <summary>
/// The anomalies scenario: scripted principals and streams planted on top of the seed's organization, the quiet
/// background rules the planner applies, and the answer key. The report day is the last generated day; everything
/// before it is baseline. Built from the seed alone, so the archive stays deterministic.
/// </summary>
internal sealed class ScenarioPlan
{
    public const string ExternalAccount = "999988887777";

    /// <summary>Working hours (08:00-18:00 UTC) in delivery slots: planted calls are dated on the report day itself.</summary>
    private const int FirstPlantedSlot = 96;
    private const int LastPlantedSlot = 216;

    /// <summary>Background (principal, key) pairs reappear at least this often, so none looks new near the report day.</summary>
    private const int HeartbeatDays = 3;

    /// <summary>Rough decompressed bytes of a KMS record, to leave room for the scripted traffic in the size target.</summary>
    private const int BytesPerRecord = 1700;

    private readonly HashSet<int> _muted;
    private readonly (Principal Principal, int Region, short Key, int KeyAccount, KmsOperation Op, int Period, int Phase)[] _heartbeats;

    private ScenarioPlan(Population population, DateOnly reportDate, int gapAccount, List<ScenarioStream> streams, HashSet<int> muted,
        (Principal, int, short, int, KmsOperation, int, int)[] heartbeats, ScenarioAnswerKey answerKey)
    {
        Population = population;
        ReportDate = reportDate;
        GapAccount = gapAccount;
        Streams = streams;
        _muted = muted;
        _heartbeats = heartbeats;
        AnswerKey = answerKey;
        GapCallers = [.. population.BackgroundCallers.Where(p => p.Account?.Index == gapAccount)];
    }

    /// <summary>The organization with the scenario's principals appended.</summary>
    public Population Population { get; }

    public DateOnly ReportDate { get; }

    /// <summary>Index of the account whose trail has no KMS records on the report day.</summary>
    public int GapAccount { get; }

    public IReadOnlyList<ScenarioStream> Streams { get; }

    public ScenarioAnswerKey AnswerKey { get; }

    /// <summary>Principals whose random KMS traffic the planner skips: scripted ones, root, the outside partner.</summary>
    public bool IsMuted(Principal p) => _muted.Contains(p.Index);

    /// <summary>Background callers of the coverage-gap account: they keep its trail delivering non-KMS files every day.</summary>
    public IReadOnlyList<Principal> GapCallers { get; }

    /// <summary>Decompressed bytes the scripted traffic adds over the whole window (subtracted from the size target).</summary>
    public long EstimatedBytes(GeneratorOptions options)
    {
        double records = 0;
        for (var d = 0; d < options.Days; d++)
        {
            var day = options.StartDate.AddDays(d);
            foreach (var s in Streams)
            {
                records += day == ReportDate ? s.ReportDayCount ?? s.WeekdayRate : IsWeekend(day) ? s.WeekendRate : s.WeekdayRate;
            }

            records += _heartbeats.Sum(h => 1.0 / h.Period);
        }

        return (long)(records * BytesPerRecord * (1 + DayPlanner.BackgroundPerKms * 0.1));
    }

    public static ScenarioPlan Build(Population basePop, GeneratorOptions options)
    {
        var rng = GenRandom.Derive(options.Seed, 7);
        var accounts = basePop.Accounts;
        var logArchive = accounts[0];
        var prod = accounts[1];
        var staging = accounts[2];
        // The last account (never the log archive, prod or staging: there are at least four) loses its KMS records.
        var gap = accounts[^1];
        var region0 = basePop.Regions[0];
        KmsKey[] Own(OrgAccount a) => basePop.Keys.Where(k => k.Account == a && k.Region == region0 && !k.IsMultiRegion).ToArray();
        KmsKey Mrk(OrgAccount a) => basePop.Keys.First(k => k.Account == a && k.Region == region0 && k.IsMultiRegion);
        var pk = Own(prod);
        var sk = Own(staging);
        var lk = Own(logArchive);

        var extra = new List<Principal>();
        Principal Role(OrgAccount? account, string path, string name, SessionStyle sessions, string[] sessionNames, UsageProfile profile, params KmsKey[] keys)
        {
            var accountId = account?.Id ?? ExternalAccount;
            var arn = $"arn:aws:iam::{accountId}:role/{path}{name}";
            var p = new Principal
            {
                Index = basePop.Principals.Count + extra.Count,
                Kind = PrincipalKind.AssumedRole,
                Account = account,
                AccountId = accountId,
                Name = name,
                Arn = arn,
                Normalized = arn,
                PrincipalId = "AROA" + rng.IamId(17),
                Sessions = sessions,
                SessionNames = sessionNames,
                Profile = profile,
                Regions = [0],
                KeysByRegion = new Dictionary<int, KmsKey[]> { [0] = keys },
                UserAgents = [SdkAgent(rng)],
                SourceIps = [$"10.{rng.Next(0, 255)}.{rng.Next(0, 255)}.{rng.Next(1, 255)}", $"10.{rng.Next(0, 255)}.{rng.Next(0, 255)}.{rng.Next(1, 255)}"],
                IsScenario = true,
            };
            extra.Add(p);
            return p;
        }

        string[] Instances(int n) => Enumerable.Range(0, n).Select(_ => "i-0" + rng.Hex(16)).ToArray();

        // Planted incidents with a volume or a new principal: scripted roles whose baseline the answer key knows.
        var ordersApi = Role(prod, "", $"{prod.Name}-orders-api", SessionStyle.InstanceId, Instances(3), UsageProfile.Application, pk[0]);
        var ingestWriter = Role(prod, "", $"{prod.Name}-ingest-writer", SessionStyle.Random, [], UsageProfile.Application, pk[^1]);
        var reportingJob = Role(prod, "", $"{prod.Name}-reporting-job", SessionStyle.Random, [], UsageProfile.Application, pk[0], pk[1]);
        var dataExport = Role(staging, "", $"{staging.Name}-data-export-tmp", SessionStyle.Random, [], UsageProfile.Application, sk[0]);
        var vendor = Role(null, "", "vendor-sync", SessionStyle.Random, [], UsageProfile.Application, pk[0]);
        var billing = Role(staging, "", $"{staging.Name}-billing-worker", SessionStyle.InstanceId, Instances(2), UsageProfile.Application, sk[^1]);

        // Decoys.
        var reconciler = Role(prod, "", $"{prod.Name}-batch-reconciler", SessionStyle.Random, [], UsageProfile.Application, pk[1]);
        var thumbnailer = Role(staging, "service-role/", $"thumbnailer-role-{rng.LowerAlnumString(8)}", SessionStyle.Random, ["thumbnailer"], UsageProfile.LambdaEnvironment, sk[0]);
        var settlement = Role(staging, "", $"{staging.Name}-settlement-reader", SessionStyle.Random, [], UsageProfile.Application, pk[^1]);
        var auditExport = Role(logArchive, "", $"{logArchive.Name}-audit-export", SessionStyle.Random, [], UsageProfile.Application, lk[0]);
        var indexer = Role(staging, "", $"{staging.Name}-search-indexer", SessionStyle.Random, [], UsageProfile.Application, sk[^1]);
        var sessionCache = Role(prod, "", $"{prod.Name}-session-cache", SessionStyle.Random, [], UsageProfile.Application, pk[0]);

        // Reconnaissance: a principal never seen before describing the staging keys (no crypto call, so only the
        // discovery finding can see it). Created last, so the roles above keep their generated identities.
        var prober = Role(staging, "", $"{staging.Name}-build-agent", SessionStyle.Random, [], UsageProfile.Application, sk[0], sk[^1]);
        var inventoryJob = Role(logArchive, "", $"{logArchive.Name}-key-inventory", SessionStyle.Random, [], UsageProfile.Application, lk[0]);
        var uploadApi = Role(prod, "", $"{prod.Name}-upload-api", SessionStyle.Random, [], UsageProfile.Application, pk[0]);

        var pop = basePop.WithPrincipals(extra);
        var cloudTrail = pop.Principals.First(p => p.Kind == PrincipalKind.AwsService && p.InvokedBy == "cloudtrail.amazonaws.com");
        var gapWorker = pop.Principals.First(p => p.Account == gap && p.Name == $"{gap.Name}-ecs-task");
        Principal Admin(OrgAccount a, bool human) => human
            ? pop.Principals.First(p => p.Account == a && p.Kind == PrincipalKind.AssumedRole && p.Profile == UsageProfile.Administrator)
            : pop.Principals.First(p => p.Account == a && p.Kind == PrincipalKind.IamUser && p.Name == "ci-deploy");

        var streams = new List<ScenarioStream>();
        var expected = new List<ScenarioExpectation>();
        var decoys = new List<ScenarioDecoy>();
        var report = options.EndDate;
        ScenarioStream Stream(Principal p, KmsOperation op, KmsKey key, double weekday, double? weekend = null, int? reportDay = null,
            ErrorMode error = ErrorMode.None, DateOnly? from = null, int heartbeat = 0)
        {
            var s = new ScenarioStream
            {
                Principal = p, Operation = op, Key = key, Region = 0, WeekdayRate = weekday, WeekendRate = weekend ?? weekday * DayPlanner.WeekendFactor,
                ReportDayCount = reportDay, Error = error, ActiveFrom = from, HeartbeatDays = heartbeat,
            };
            streams.Add(s);
            return s;
        }

        void Expect(string kind, ScenarioStream s, double baseline) => expected.Add(new ScenarioExpectation
        {
            // A custom key store call names the store, not a key.
            // KMS's own events name no principal but the service.
            Kind = kind, Principal = OperationMix.IsServiceEvent(s.Operation) ? "service:AWS Internal" : s.Principal.Normalized, KeyArn = s.Operation == KmsOperation.DisconnectCustomKeyStore ? null : s.Key.Arn, EventName = KmsBodyWriter.Names[(int)s.Operation],
            Count = s.ReportDayCount!.Value, BaselineWeekdayMean = baseline,
        });

        Expect(FindingKind.DecryptVolumeAnomaly, Stream(ordersApi, KmsOperation.Decrypt, pk[0], 24, reportDay: 240), 24);
        Expect(FindingKind.GenerateDataKeyVolumeAnomaly, Stream(ingestWriter, KmsOperation.GenerateDataKey, pk[^1], 22, reportDay: 220), 22);
        Stream(reportingJob, KmsOperation.Decrypt, pk[0], 8);
        Expect(FindingKind.NewPrincipalForKey, Stream(reportingJob, KmsOperation.Decrypt, pk[1], 0, 0, reportDay: 15), 0);
        Expect(FindingKind.NewPrincipal, Stream(dataExport, KmsOperation.Decrypt, sk[0], 0, 0, reportDay: 20, from: report), 0);
        Expect(FindingKind.CrossAccountDecrypt, Stream(vendor, KmsOperation.Decrypt, pk[0], 0, 0, reportDay: 10, from: report), 0);
        Stream(billing, KmsOperation.Decrypt, sk[^1], 12);
        Expect(FindingKind.AccessDeniedBurst, Stream(billing, KmsOperation.Decrypt, sk[^1], 0, 0, reportDay: 60, error: ErrorMode.AccessDenied), 0);
        // A service still decrypting with a key that was scheduled for deletion: its calls fail, and the deletion must be
        // cancelled before the window ends (one of its own keys, so only the failures are news).
        var prodTask = pop.Principals.First(p => p.Account == prod && p.Name == $"{prod.Name}-ecs-task");
        var retiredKey = prodTask.KeysByRegion[0].First(k => streams.All(s => s.Key != k) && k != pk[1] && k != pk[^1]);
        Expect(FindingKind.UnusableKeyInUse, Stream(prodTask, KmsOperation.Decrypt, retiredKey, 0, 0, reportDay: 12, error: ErrorMode.PendingDeletion), 0);
        var probes = new[] { Stream(prober, KmsOperation.DescribeKey, sk[0], 0, 0, reportDay: 9, from: report), Stream(prober, KmsOperation.DescribeKey, sk[^1], 0, 0, reportDay: 8, from: report) };
        expected.Add(new ScenarioExpectation
        {
            Kind = FindingKind.DiscoveryBurst, Principal = prober.Normalized, EventName = "DescribeKey", Count = probes.Sum(p => p.ReportDayCount!.Value), BaselineWeekdayMean = 0,
        });

        // Data of a prod key re-encrypted under a key the organization does not own (the KMS side of ransomware).
        var reEncrypt = new ScenarioStream
        {
            Principal = reportingJob, Operation = KmsOperation.ReEncrypt, Key = pk[0], Region = 0, ReportDayCount = 6,
            DestinationKeyArn = $"arn:aws:kms:{region0}:{ExternalAccount}:key/{rng.Hex(8)}-{rng.Hex(4)}-{rng.Hex(4)}-{rng.Hex(4)}-{rng.Hex(12)}",
        };
        streams.Add(reEncrypt);
        Expect(FindingKind.ReEncryptedToExternalKey, reEncrypt, 0);

        // An upload service's new data encrypted under a key of an account outside the organization (ransomware that
        // points a bucket's default encryption at its own key): the caller's copy only, the key owner's trail is not ours.
        var external = new OrgAccount(-1, ExternalAccount, "external", false);
        var foreignKey = new KmsKey(external, region0, $"{rng.Hex(8)}-{rng.Hex(4)}-{rng.Hex(4)}-{rng.Hex(4)}-{rng.Hex(12)}", null);
        // The reporting job's credentials used to try to delete a production key: refused, but the attempt is news.
        Expect(FindingKind.KeyChangeDenied, Stream(reportingJob, KmsOperation.ScheduleKeyDeletion, pk[0], 0, 0, reportDay: 1, error: ErrorMode.AccessDenied), 0);

        Stream(uploadApi, KmsOperation.GenerateDataKey, pk[0], 10, heartbeat: 1);
        Expect(FindingKind.EncryptedWithExternalKey, Stream(uploadApi, KmsOperation.GenerateDataKey, foreignKey, 0, 0, reportDay: 14, from: report), 0);
        // The same service encrypting small payloads directly (Encrypt) about 16 times a weekday, then 170 times: a volume
        // anomaly of an operation other than Decrypt and GenerateDataKey*.
        Expect(FindingKind.CryptoVolumeAnomaly, Stream(uploadApi, KmsOperation.Encrypt, pk[0], 16, reportDay: 170), 16);

        // Someone signed in as the production account's root user and decrypted with one of its keys.
        var prodRoot = pop.Principals.First(p => p.Account == prod && p.Kind == PrincipalKind.Root);
        Expect(FindingKind.RootUserActivity, Stream(prodRoot, KmsOperation.Decrypt, prodRoot.KeysByRegion[0][0], 0, 0, reportDay: 3), 0);

        expected.Add(new ScenarioExpectation { Kind = FindingKind.KmsCoverageGap, AccountId = gap.Id, Count = 0 });
        // The gap account's trail had KMS records every baseline day: a steady worker guarantees at least one a day.
        Stream(gapWorker, KmsOperation.Decrypt, gapWorker.KeysByRegion[0][0], 6, heartbeat: 1);

        // Decoys: each looks alarming to a naive rule and must not be reported as the listed kinds.
        var weekday = Stream(reconciler, KmsOperation.Decrypt, pk[1], 30, 2);
        Decoy("weekday batch role: the report day is a Monday, its count is normal for a weekday but far above the weekend",
            weekday, FindingKind.DecryptVolumeAnomaly);
        var lambda = Stream(thumbnailer, KmsOperation.Decrypt, sk[0], 200);
        Decoy("Lambda role with hundreds of distinct session names a day at its normal volume", lambda,
            FindingKind.NewPrincipal, FindingKind.NewPrincipalForKey, FindingKind.DecryptVolumeAnomaly);
        var trail = Stream(cloudTrail, KmsOperation.GenerateDataKey, cloudTrail.KeysByRegion[0][0], 12);
        Decoy("AWS service (CloudTrail, userIdentity.type AWSService) asking for data keys of the log archive key every day",
            trail, FindingKind.CrossAccountDecrypt, FindingKind.NewPrincipal, FindingKind.NewPrincipalForKey, FindingKind.GenerateDataKeyVolumeAnomaly);
        var routine = Stream(settlement, KmsOperation.Decrypt, pk[^1], 10);
        Decoy($"routine in-organization cross-account Decrypt: caller in {staging.Id}, key in {prod.Id}, every day",
            routine, FindingKind.CrossAccountDecrypt, FindingKind.NewPrincipal, FindingKind.NewPrincipalForKey, FindingKind.DecryptVolumeAnomaly);
        var low = Stream(auditExport, KmsOperation.Decrypt, lk[0], 0.15, 0.15, reportDay: 3, heartbeat: 6);
        Decoy("low-volume principal (about 0.3 calls a day) with 3 calls on the report day: below any sane minimum volume",
            low, FindingKind.DecryptVolumeAnomaly, FindingKind.NewPrincipal, FindingKind.NewPrincipalForKey);
        var recent = Stream(indexer, KmsOperation.Decrypt, sk[^1], 6, from: report.AddDays(-12));
        Decoy("principal that first appeared 12 days before the report day (not new)", recent, FindingKind.NewPrincipal, FindingKind.NewPrincipalForKey);
        var scattered = Stream(sessionCache, KmsOperation.Decrypt, pk[0], 12);
        Stream(sessionCache, KmsOperation.Decrypt, pk[0], 1.2, 1.2, reportDay: 2, error: ErrorMode.AccessDenied);
        Decoy("a few scattered AccessDenied errors (2 on the report day, about 1 on most days)", scattered, FindingKind.AccessDeniedBurst);
        var inventory = Stream(inventoryJob, KmsOperation.DescribeKey, lk[0], 40);
        Decoy("an audit role describing keys about 40 times every weekday (an inventory job), as usual on the report day", inventory, FindingKind.DiscoveryBurst);

        void Decoy(string description, ScenarioStream s, params string[] kinds) => decoys.Add(new ScenarioDecoy
        {
            Description = description, Principal = s.Principal.Normalized, KeyArn = s.Key.Arn, KindsNotExpected = kinds,
        });

        // Management incidents: one key each (distinct where the organization has enough), by the key account's admins.
        // Keys no scripted stream uses come first, so a deleted or disabled key does not break a planted series.
        var used = streams.Select(x => x.Key).ToHashSet();
        var adminKeys = lk.Concat(sk).Concat(pk).Append(Mrk(logArchive)).Append(Mrk(prod)).OrderBy(k => used.Contains(k) ? 1 : 0).ToArray();
        var incidents = new (string Kind, KmsOperation Op)[]
        {
            (FindingKind.KeyDeletionScheduled, KmsOperation.ScheduleKeyDeletion), (FindingKind.KeyMaterialDeleted, KmsOperation.DeleteImportedKeyMaterial),
            (FindingKind.KeyDisabled, KmsOperation.DisableKey), (FindingKind.KeyPolicyChanged, KmsOperation.PutKeyPolicy),
            (FindingKind.GrantCreatedCrossAccount, KmsOperation.CreateGrant), (FindingKind.KeyRotationDisabled, KmsOperation.DisableKeyRotation),
            (FindingKind.KeyDeletionCancelled, KmsOperation.CancelKeyDeletion), (FindingKind.AliasChanged, KmsOperation.UpdateAlias),
            (FindingKind.CustomKeyStoreChanged, KmsOperation.DisconnectCustomKeyStore), (FindingKind.KeyMaterialImported, KmsOperation.ImportKeyMaterial),
            (FindingKind.KeyDeleted, KmsOperation.DeleteKey),
        };
        for (var i = 0; i < incidents.Length; i++)
        {
            var key = adminKeys[i % adminKeys.Length];
            var s = new ScenarioStream
            {
                Principal = Admin(key.Account, human: i % 2 == 0), Operation = incidents[i].Op, Key = key, Region = 0, ReportDayCount = 1,
                PendingWindowInDays = incidents[i].Op == KmsOperation.ScheduleKeyDeletion ? 7 : null,
                OpenPolicy = incidents[i].Op == KmsOperation.PutKeyPolicy,
                Grantee = incidents[i].Op == KmsOperation.CreateGrant ? $"arn:aws:iam::{ExternalAccount}:role/vendor-sync" : null,
            };
            streams.Add(s);
            Expect(incidents[i].Kind, s, 0);
        }

        var replicate = new ScenarioStream
        {
            Principal = Admin(staging, human: true), Operation = KmsOperation.ReplicateKey, Key = Mrk(staging), Region = 0, ReportDayCount = 1,
            ReplicaRegion = "ap-southeast-2",
        };
        streams.Add(replicate);
        Expect(FindingKind.KeyReplicated, replicate, 0);
        // Root (but for its planted calls) and the partner outside the organization stay silent: either would be a finding the answer key does not list.
        var muted = new HashSet<int>(pop.Principals.Where(p => p.IsScenario || p.Kind is PrincipalKind.Root or PrincipalKind.AwsAccount).Select(p => p.Index));
        var heartbeats = new List<(Principal, int, short, int, KmsOperation, int, int)>();
        foreach (var p in pop.Principals.Where(p => !muted.Contains(p.Index)))
        {
            foreach (var r in p.Regions)
            {
                var keys = p.KeysByRegion[r];
                for (short k = 0; k < keys.Length; k++)
                {
                    foreach (var op in HeartbeatOperations(p.Profile))
                    {
                        // Cross-account pairs are routine every day; others at least every few days.
                        var period = p.Account is not null && keys[k].Account != p.Account && !p.IsService ? 1 : HeartbeatDays;
                        var phase = (int)(GenRandom.Mix(options.Seed, [p.Index, r, k, (long)op]) % (ulong)period);
                        heartbeats.Add((p, r, k, keys[k].Account.Index, op, period, phase));
                    }
                }
            }
        }

        var answer = new ScenarioAnswerKey
        {
            ReportDate = report.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            KnownAccounts = accounts.Select(a => a.Id).ToArray(),
            ExternalAccounts = [ExternalAccount],
            Expected = expected,
            Decoys = decoys,
        };
        return new ScenarioPlan(pop, report, gap.Index, streams, muted, [.. heartbeats], answer);
    }

    /// <summary>Plans the scripted calls of one (region, day) work item into <paramref name="events"/>.</summary>
    public void AddEvents(DayPlanner planner, List<PlannedEvent> events, long seed, int region, DateOnly day)
    {
        var rng = GenRandom.Derive(seed, 7, region, day.DayNumber);
        var dayStart = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).Ticks;
        foreach (var h in _heartbeats)
        {
            if (h.Region == region && (day.DayNumber + h.Phase) % h.Period == 0)
            {
                planner.AddKms(events, rng, h.Principal, h.Op, h.Key, h.KeyAccount, dayStart, ErrorMode.None, 0, null, duplicates: true);
            }
        }

        for (var i = 0; i < Streams.Count; i++)
        {
            var s = Streams[i];
            if (s.Region != region || day > ReportDate || (s.ActiveFrom is { } from && day < from))
            {
                continue;
            }

            var planted = day == ReportDate && s.ReportDayCount is not null;
            var count = planted ? s.ReportDayCount!.Value : rng.Poisson(IsWeekend(day) ? s.WeekendRate : s.WeekdayRate);
            if (!planted && s.HeartbeatDays > 0 && day.DayNumber % s.HeartbeatDays == 0)
            {
                count = Math.Max(count, 1);
            }

            for (var j = 0; j < count; j++)
            {
                int? slot = planted ? rng.Next(FirstPlantedSlot, LastPlantedSlot) : null;
                // A key outside the organization (account index -1) has no trail here: plan the caller's copy only.
                var keyAccount = s.Key.Account.Index >= 0 ? s.Key.Account.Index : s.Principal.Account!.Index;
                planner.AddKms(events, rng, s.Principal, s.Operation, -1, keyAccount, dayStart, s.Error, (short)(i + 1), slot, duplicates: !planted);
            }
        }
    }

    private static bool IsWeekend(DateOnly day) => day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;

    /// <summary>The crypto calls a profile makes, which a report tracks per (principal, key).</summary>
    private static KmsOperation[] HeartbeatOperations(UsageProfile profile) => profile switch
    {
        UsageProfile.CloudTrailService => [KmsOperation.GenerateDataKey],
        UsageProfile.Ebs => [KmsOperation.Decrypt, KmsOperation.GenerateDataKeyWithoutPlaintext],
        UsageProfile.S3OnBehalf or UsageProfile.Application or UsageProfile.SecretsManager => [KmsOperation.Decrypt, KmsOperation.GenerateDataKey],
        _ => [KmsOperation.Decrypt],
    };

    private static string SdkAgent(GenRandom rng) => rng.Chance(0.5)
        ? "aws-sdk-java/2.25.60 Linux/5.10.219-208.866.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS Java/17.0.11 vendor/Amazon.com_Inc. md/internal io/sync http/Apache cfg/retry-mode/legacy"
        : "Boto3/1.34.120 md/Botocore#1.34.120 ua/2.0 os/linux#5.10.219-208.866.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.120";
}
