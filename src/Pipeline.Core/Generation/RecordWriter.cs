using System.Text.Json;

namespace Pipeline.Generation;

/// <summary>
/// Writes one CloudTrail record with the envelope fields in the order CloudTrail uses. The body (request,
/// response, resources) comes from <see cref="KmsBodyWriter"/> or <see cref="BackgroundCatalog"/>.
/// </summary>
internal sealed class RecordWriter
{
    private static readonly string[] Versions = ["1.08", "1.09", "1.10"];
    private const string AwsInternal = "AWS Internal";
    private readonly Population _population;
    private readonly ScenarioPlan? _scenario;
    private readonly RecordContext _ctx;

    public RecordWriter(Population population, ScenarioPlan? scenario = null)
    {
        _population = population;
        _scenario = scenario;
        _ctx = new RecordContext { Population = population };
    }

    /// <summary>Key ARN the last written KMS record carried in resources[] (null if none): the manifest's decrypt_by_key.</summary>
    public string? ResourceKeyArn { get; private set; }

    public void Write(Utf8JsonWriter w, in PlannedEvent e, int region)
    {
        var ctx = _ctx;
        var rng = ctx.Rng;
        rng.Reseed(e.Detail);
        var p = _population.Principals[e.Principal];
        ctx.Principal = p;
        ctx.RegionIndex = region;
        ctx.Region = _population.Regions[region];
        ctx.Time = new DateTime(e.Ticks, DateTimeKind.Utc);
        // Scripted scenario calls name their stream's key, which need not be one the principal normally uses.
        ctx.Stream = e.Stream > 0 ? _scenario!.Streams[e.Stream - 1] : null;
        ctx.Key = ctx.Stream?.Key ?? (e.Key >= 0 ? p.KeysByRegion[region][e.Key] : null);
        ctx.Session = SessionName(p, rng);

        var op = (KmsOperation)e.Operation;
        // KMS's own events (a key deleted at the end of its window) name only the account and "AWS Internal".
        var service = e.IsKms && OperationMix.IsServiceEvent(op);
        var template = e.IsKms ? default : BackgroundCatalog.Templates[e.Operation];
        var error = !e.IsKms ? (rng.Chance(0.01) ? "AccessDenied" : null) : e.Error switch
        {
            _ when service => null,
            ErrorMode.None => null,
            ErrorMode.AccessDenied => "AccessDenied",
            ErrorMode.PendingDeletion => "KMSInvalidStateException",
            _ => KmsBodyWriter.PickError(op, rng),
        };

        w.WriteStartObject();
        w.WriteString(JsonNames.EventVersion, e.IsKms ? Versions[1 + rng.Next(2)] : Versions[rng.Next(3)]);
        // The key owner's copy of a call from another account of the organization names only the caller's account, as
        // CloudTrail writes it (userIdentity type AWSAccount); the caller's own copy names the caller.
        if (service)
        {
            w.WriteStartObject(JsonNames.UserIdentity);
            w.WriteString(JsonNames.AccountId, ctx.Key!.Account.Id);
            w.WriteString(JsonNames.InvokedBy, AwsInternal);
            w.WriteEndObject();
        }
        else if (IsAccountOnlyCopy(e, p))
        {
            WriteAccountOnlyIdentity(w, p, ctx);
        }
        else
        {
            WriteIdentity(w, p, ctx, rng);
        }

        Span<byte> time = stackalloc byte[24];
        w.WriteString(JsonNames.EventTime, time[..TimeText.Iso(ctx.Time, time)]);
        if (e.IsKms)
        {
            w.WriteString(JsonNames.EventSource, JsonNames.KmsSource);
            w.WriteString(JsonNames.EventName, KmsBodyWriter.Names[e.Operation]);
        }
        else
        {
            w.WriteString(JsonNames.EventSource, template.Source);
            w.WriteString(JsonNames.EventName, template.Name);
        }

        w.WriteString(JsonNames.AwsRegion, ctx.Region);
        var ip = service ? AwsInternal : p.Kind == PrincipalKind.AwsService || p.InvokedBy is not null ? p.InvokedBy! : p.SourceIps[rng.Next(p.SourceIps.Count)];
        w.WriteString(JsonNames.SourceIpAddress, ip);
        w.WriteString(JsonNames.UserAgent, service ? AwsInternal : p.UserAgents[rng.Next(p.UserAgents.Count)]);
        if (error is not null)
        {
            w.WriteString(JsonNames.ErrorCode, error);
            w.WriteString(JsonNames.ErrorMessage, KmsBodyWriter.ErrorMessage(error, ctx, e.IsKms ? "kms:" + KmsBodyWriter.Names[e.Operation] : template.Action));
        }

        bool readOnly;
        if (e.IsKms)
        {
            KmsBodyWriter.WriteBody(w, op, ctx, error is not null);
            readOnly = OperationMix.IsReadOnly(op);
        }
        else
        {
            BackgroundCatalog.WriteBody(w, e.Operation, ctx);
            readOnly = template.ReadOnly;
        }

        if (!service)
        {
            w.WriteString(JsonNames.RequestId, rng.NextGuid());
        }

        w.WriteString(JsonNames.EventId, e.EventId);
        w.WriteBoolean(JsonNames.ReadOnly, readOnly);
        ResourceKeyArn = null;
        if (e.IsKms)
        {
            ResourceKeyArn = KmsBodyWriter.WriteResources(w, op, ctx, error is not null);
        }
        else
        {
            BackgroundCatalog.WriteResources(w, e.Operation, ctx);
        }

        w.WriteString(JsonNames.EventType, service ? JsonNames.AwsServiceEvent : JsonNames.AwsApiCall);
        if (!e.IsKms && template.ApiVersion is not null)
        {
            w.WriteString(JsonNames.ApiVersion, template.ApiVersion);
        }

        w.WriteBoolean(JsonNames.ManagementEvent, true);
        w.WriteString(JsonNames.RecipientAccountId, _population.Accounts[e.Recipient].Id);
        if (e.SharedEventId != Guid.Empty)
        {
            w.WriteString(JsonNames.SharedEventId, e.SharedEventId);
        }

        if (!service && p.InvokedBy is null && p.Kind != PrincipalKind.AwsAccount && rng.Chance(0.1))
        {
            w.WriteString(JsonNames.VpcEndpointId, "vpce-0" + rng.Hex(16));
        }

        w.WriteString(JsonNames.EventCategory, JsonNames.Management);
        if (!service && p.InvokedBy is null)
        {
            w.WriteStartObject(JsonNames.TlsDetails);
            w.WriteString(JsonNames.TlsVersion, rng.Chance(0.7) ? "TLSv1.3" : "TLSv1.2");
            w.WriteString(JsonNames.CipherSuite, rng.Chance(0.7) ? "TLS_AES_128_GCM_SHA256" : "ECDHE-RSA-AES128-GCM-SHA256");
            w.WriteString(JsonNames.ClientProvidedHostHeader, e.IsKms ? $"kms.{ctx.Region}.amazonaws.com" : template.Host(ctx.Region));
            w.WriteEndObject();
        }

        if (!service && (p.Kind == PrincipalKind.Root || p.Sessions == SessionStyle.Email))
        {
            w.WriteString(JsonNames.SessionCredentialFromConsole, "true");
        }

        w.WriteEndObject();
    }

    private static string SessionName(Principal p, GenRandom rng) => p.Sessions switch
    {
        SessionStyle.None => "",
        SessionStyle.Random => rng.Chance(0.5) ? rng.Hex(32) : "botocore-session-" + rng.Digits(10),
        SessionStyle.FunctionName when rng.Chance(0.1) => "awslambda_" + rng.Digits(3) + "_" + rng.Digits(14) + rng.Digits(3),
        _ => p.SessionNames[rng.Next(p.SessionNames.Count)],
    };

    /// <summary>The key owner's copy of a cross-account call by a principal of the organization.</summary>
    public static bool IsAccountOnlyCopy(in PlannedEvent e, Principal p) =>
        e.SharedEventId != Guid.Empty && p.Account is not null && p.Account.Index != e.Recipient
        && p.Kind is not (PrincipalKind.AwsService or PrincipalKind.AwsAccount);

    private static void WriteAccountOnlyIdentity(Utf8JsonWriter w, Principal p, RecordContext ctx)
    {
        w.WriteStartObject(JsonNames.UserIdentity);
        w.WriteString(JsonNames.Type, "AWSAccount");
        w.WriteString(JsonNames.PrincipalId, p.Kind switch
        {
            PrincipalKind.AssumedRole => p.PrincipalId + ":" + ctx.Session,
            PrincipalKind.Root => p.AccountId,
            _ => p.PrincipalId,
        });
        w.WriteString(JsonNames.AccountId, p.AccountId);
        w.WriteEndObject();
    }

    private static void WriteIdentity(Utf8JsonWriter w, Principal p, RecordContext ctx, GenRandom rng)
    {
        w.WriteStartObject(JsonNames.UserIdentity);
        switch (p.Kind)
        {
            case PrincipalKind.AssumedRole:
                w.WriteString(JsonNames.Type, "AssumedRole");
                w.WriteString(JsonNames.PrincipalId, p.PrincipalId + ":" + ctx.Session);
                w.WriteString(JsonNames.Arn, $"arn:aws:sts::{p.AccountId}:assumed-role/{p.Name}/{ctx.Session}");
                w.WriteString(JsonNames.AccountId, p.AccountId);
                w.WriteString(JsonNames.AccessKeyId, "ASIA" + rng.IamId(16));
                w.WriteStartObject(JsonNames.SessionContext);
                w.WriteStartObject(JsonNames.SessionIssuer);
                w.WriteString(JsonNames.Type, "Role");
                w.WriteString(JsonNames.PrincipalId, p.PrincipalId);
                w.WriteString(JsonNames.Arn, p.Arn);
                w.WriteString(JsonNames.AccountId, p.AccountId);
                w.WriteString(JsonNames.UserName, p.Name);
                w.WriteEndObject();
                if (rng.Chance(0.5))
                {
                    w.WriteStartObject(JsonNames.WebIdFederationData);
                    w.WriteEndObject();
                }

                w.WriteStartObject(JsonNames.Attributes);
                Span<byte> created = stackalloc byte[24];
                var creation = ctx.Time.AddSeconds(-rng.Next(5, 3600));
                w.WriteString(JsonNames.CreationDate, created[..TimeText.Iso(creation.AddTicks(-(creation.Ticks % TimeSpan.TicksPerSecond)), created)]);
                w.WriteString(JsonNames.MfaAuthenticated, "false");
                w.WriteEndObject();
                if (p.Sessions == SessionStyle.InstanceId)
                {
                    w.WriteString(JsonNames.Ec2RoleDelivery, "2.0");
                }

                w.WriteEndObject();
                if (p.InvokedBy is not null)
                {
                    w.WriteString(JsonNames.InvokedBy, p.InvokedBy);
                }

                break;
            case PrincipalKind.IamUser:
                w.WriteString(JsonNames.Type, "IAMUser");
                w.WriteString(JsonNames.PrincipalId, p.PrincipalId);
                w.WriteString(JsonNames.Arn, p.Arn);
                w.WriteString(JsonNames.AccountId, p.AccountId);
                w.WriteString(JsonNames.AccessKeyId, string.Concat("AKIA", p.PrincipalId.AsSpan(4, 16)));
                w.WriteString(JsonNames.UserName, p.Name);
                break;
            case PrincipalKind.Root:
                w.WriteString(JsonNames.Type, "Root");
                w.WriteString(JsonNames.PrincipalId, p.PrincipalId);
                w.WriteString(JsonNames.Arn, p.Arn);
                w.WriteString(JsonNames.AccountId, p.AccountId);
                w.WriteString(JsonNames.AccessKeyId, "ASIA" + rng.IamId(16));
                break;
            case PrincipalKind.AwsService:
                w.WriteString(JsonNames.Type, "AWSService");
                w.WriteString(JsonNames.InvokedBy, p.InvokedBy);
                break;
            default:
                w.WriteString(JsonNames.Type, "AWSAccount");
                w.WriteString(JsonNames.PrincipalId, p.PrincipalId);
                w.WriteString(JsonNames.AccountId, p.AccountId);
                break;
        }

        w.WriteEndObject();
    }
}
