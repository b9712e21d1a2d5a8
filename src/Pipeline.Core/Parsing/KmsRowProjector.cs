using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Pipeline.Sink;
using S = Pipeline.Sink.KmsSchema;

namespace Pipeline.Parsing;

/// <summary>
/// Turns the parsed fields of a KMS record into one <c>kms_events</c> row: copies the CloudTrail values and derives
/// the normalised principal, the key identity and the cross-account flag as DOMAIN.md specifies.
/// </summary>
internal sealed class KmsRowProjector
{
    /// <summary>The prefix of the id given to a KMS record that has no eventID.</summary>
    public const string DerivedEventIdPrefix = "no-event-id:";

    private byte[] _work = new byte[1024];
    private byte[] _minified = new byte[4096];
    private KmsEventBatch? _lineageBatch;
    private SourceContext? _lineageSource;
    private int _lineageGeneration;
    private StringRef _bucketRef;
    private StringRef _keyRef;
    private bool _valid; // the record being projected is valid UTF-8 (see Project)

    /// <summary>Appends the row; throws <see cref="CloudTrailFormatException"/> when a required field is missing or malformed.</summary>
    /// <returns>True when the record had no eventID and was given one derived from its bytes.</returns>
    public bool Project(ReadOnlySpan<byte> record, KmsRecordParser p, ref KmsRecordFields f, KmsEventBatch batch, SourceContext source, long recordIndex, long offset, bool recordIsValidUtf8)
    {
        // Every value stored below is valid UTF-8 when the record is: slices of it cut at ASCII delimiters, values the
        // parser unescaped (it refuses lone surrogates), whitespace-free copies, ASCII literals and joins of these.
        _valid = recordIsValidUtf8;
        if (!f.EventName.HasValue)
        {
            throw new CloudTrailFormatException(source.Display, offset, recordIndex, "KMS record has no eventName");
        }

        if (!f.EventTime.HasValue || !CloudTrailTimestamp.TryParse(p.Get(record, f.EventTime), out var eventTime))
        {
            var text = f.EventTime.HasValue ? Encoding.UTF8.GetString(p.Get(record, f.EventTime)) : "(missing)";
            throw new CloudTrailFormatException(source.Display, offset, recordIndex, $"KMS record has an invalid eventTime '{Truncate(text)}'; expected ISO-8601 such as 2026-01-15T10:05:12Z");
        }

        var row = batch.AddRow();
        var derived = false;
        batch.SetEventDay(row, DateOnly.FromDateTime(eventTime).DayNumber);
        batch.SetTimestamp(S.EventTime, row, eventTime);
        batch.SetTimestamp(S.IngestTime, row, source.IngestTime);
        if (f.EventId.HasValue && !p.Get(record, f.EventId).IsEmpty)
        {
            batch.SetUtf8(S.EventId, row, p.Get(record, f.EventId), _valid);
        }
        else
        {
            SetDerivedEventId(batch, row, record);
            derived = true;
        }

        Interned(batch, S.EventName, row, record, p, f.EventName);
        Interned(batch, S.EventType, row, record, p, f.EventType);
        Interned(batch, S.EventVersion, row, record, p, f.EventVersion);
        Interned(batch, S.EventCategory, row, record, p, f.EventCategory);
        Interned(batch, S.AwsRegion, row, record, p, f.AwsRegion);
        Interned(batch, S.SourceIpAddress, row, record, p, f.SourceIpAddress);
        Interned(batch, S.UserAgent, row, record, p, f.UserAgent);
        Interned(batch, S.ErrorCode, row, record, p, f.ErrorCode);
        Plain(batch, S.ErrorMessage, row, record, p, f.ErrorMessage);
        Plain(batch, S.RequestId, row, record, p, f.RequestId);
        Interned(batch, S.RecipientAccountId, row, record, p, f.RecipientAccountId);
        Plain(batch, S.SharedEventId, row, record, p, f.SharedEventId);
        batch.CopyString(S.DedupeKey, f.SharedEventId.HasValue ? S.SharedEventId : S.EventId, row);
        Interned(batch, S.VpcEndpointId, row, record, p, f.VpcEndpointId);
        batch.SetBoolean(S.ReadOnly, row, f.ReadOnly);
        batch.SetBoolean(S.ManagementEvent, row, f.ManagementEvent);

        Interned(batch, S.IdentityType, row, record, p, f.IdentityType);
        Interned(batch, S.IdentityArn, row, record, p, f.IdentityArn);
        Plain(batch, S.IdentityPrincipalId, row, record, p, f.IdentityPrincipalId);
        Interned(batch, S.IdentityUserName, row, record, p, f.IdentityUserName);
        Plain(batch, S.AccessKeyId, row, record, p, f.AccessKeyId);
        Interned(batch, S.CallerAccountId, row, record, p, f.IdentityAccountId);
        Interned(batch, S.InvokedBy, row, record, p, f.InvokedBy);
        Interned(batch, S.SessionIssuerArn, row, record, p, f.IssuerArn);
        ProjectPrincipal(record, p, ref f, batch, row);

        var keyAccount = ProjectKey(record, p, ref f, batch, row);
        var caller = p.Get(record, f.IdentityAccountId);
        batch.SetBoolean(S.IsCrossAccount, row, !caller.IsEmpty && !keyAccount.IsEmpty && !caller.SequenceEqual(keyAccount));
        batch.SetBoolean(S.IsAwsServiceCall, row, f.InvokedBy.HasValue || p.Get(record, f.IdentityType).SequenceEqual("AWSService"u8));

        Interned(batch, S.EncryptionAlgorithm, row, record, p, f.EncryptionAlgorithm);
        Interned(batch, S.KeySpec, row, record, p, f.KeySpec);
        Json(batch, S.EncryptionContextJson, row, record, p, f.EncryptionContext);
        Interned(batch, S.GranteePrincipal, row, record, p, f.GranteePrincipal);
        if (f.Operations.HasValue)
        {
            batch.SetChars(S.GrantOperations, row, JoinOperations(p.Get(record, f.Operations)));
        }

        if (f.Policy.HasValue)
        {
            SetPolicy(batch, row, p.Get(record, f.Policy));
        }

        batch.SetInt32(S.PendingWindowDays, row, f.PendingWindowDays);
        batch.SetBoolean(S.BypassPolicyLockoutSafetyCheck, row, f.BypassLockoutCheck);
        Json(batch, S.RequestParametersJson, row, record, p, f.RequestParameters);
        Json(batch, S.ResponseElementsJson, row, record, p, f.ResponseElements);
        Json(batch, S.AdditionalEventDataJson, row, record, p, f.AdditionalEventData);
        Json(batch, S.ResourcesJson, row, record, p, f.Resources);

        SetLineage(batch, row, source, recordIndex);
        return derived;
    }

    private void SetLineage(KmsEventBatch batch, int row, SourceContext source, long recordIndex)
    {
        // The bucket and key text is added to a batch once per source; a batch emptied since (a spill refills it, the
        // pool hands it out again) has reused that storage, so its generation is part of the cache key.
        if (!ReferenceEquals(batch, _lineageBatch) || batch.Generation != _lineageGeneration || !ReferenceEquals(source, _lineageSource))
        {
            _lineageBatch = batch;
            _lineageGeneration = batch.Generation;
            _lineageSource = source;
            _bucketRef = source.Bucket is null ? StringRef.Null : batch.AddText(source.Bucket);
            _keyRef = batch.AddText(source.Key);
        }

        batch.SetStringRef(S.SrcBucket, row, _bucketRef);
        batch.SetStringRef(S.SrcKey, row, _keyRef);
        batch.SetInt32(S.SrcRecordIndex, row, (int)Math.Min(recordIndex, int.MaxValue));
    }

    private void ProjectPrincipal(ReadOnlySpan<byte> record, KmsRecordParser p, ref KmsRecordFields f, KmsEventBatch batch, int row)
    {
        var type = p.Get(record, f.IdentityType);
        var arn = p.Get(record, f.IdentityArn);
        var principalId = p.Get(record, f.IdentityPrincipalId);
        var account = p.Get(record, f.IdentityAccountId);
        ReadOnlySpan<byte> kind;
        ReadOnlySpan<byte> principal;

        if (type.SequenceEqual("AssumedRole"u8))
        {
            kind = "role"u8;
            principal = f.IssuerArn.HasValue ? p.Get(record, f.IssuerArn) : RoleFromSessionArn(arn);
            if (principal.IsEmpty)
            {
                principal = arn.IsEmpty ? principalId : arn;
            }

            var session = SessionName(arn);
            if (session.IsEmpty)
            {
                var colon = principalId.IndexOf((byte)':');
                session = colon >= 0 ? principalId[(colon + 1)..] : [];
            }

            if (!session.IsEmpty)
            {
                batch.SetUtf8(S.SessionName, row, session, _valid);
            }
        }
        else if (type.SequenceEqual("IAMUser"u8))
        {
            kind = "user"u8;
            principal = arn.IsEmpty ? principalId : arn;
        }
        else if (type.SequenceEqual("Root"u8))
        {
            kind = "root"u8;
            principal = !arn.IsEmpty ? arn : account.IsEmpty ? [] : AccountRoot(p.Get(record, f.AwsRegion), account);
        }
        else if (type.SequenceEqual("AWSService"u8))
        {
            kind = "service"u8;
            var service = f.InvokedBy.HasValue ? p.Get(record, f.InvokedBy) : "unknown"u8;
            principal = Concat("service:"u8, service);
        }
        else if (type.SequenceEqual("AWSAccount"u8))
        {
            kind = "account"u8;
            principal = account.IsEmpty ? principalId : AccountRoot(p.Get(record, f.AwsRegion), account);
        }
        else if (type.SequenceEqual("FederatedUser"u8))
        {
            // Like a role's sessions: the IAM user that called GetFederationToken is the principal, and the name it
            // gave (arn:aws:sts::<acct>:federated-user/<name>) is the session.
            kind = "federated"u8;
            principal = f.IssuerArn.HasValue ? p.Get(record, f.IssuerArn) : arn;
            var resource = Arn.Field(arn, 5);
            if (resource.StartsWith("federated-user/"u8) && resource.Length > "federated-user/".Length)
            {
                batch.SetUtf8(S.SessionName, row, resource["federated-user/".Length..], _valid);
            }
        }
        else if (type.SequenceEqual("IdentityCenterUser"u8))
        {
            // CloudTrail names such a caller only by onBehalfOf.userId (with the identity store's ARN): the principal is
            // that user's identity-store ARN, arn:<partition>:identitystore:::user/<userId>.
            kind = "identity_center"u8;
            var userId = p.Get(record, f.OnBehalfOfUserId);
            principal = !arn.IsEmpty ? arn
                : !userId.IsEmpty ? IdentityStoreUser(p.Get(record, f.AwsRegion), userId)
                : principalId;
        }
        else if (type.SequenceEqual("SAMLUser"u8))
        {
            kind = "saml"u8;
            principal = arn.IsEmpty ? principalId : arn;
        }
        else if (type.SequenceEqual("WebIdentityUser"u8))
        {
            kind = "web_identity"u8;
            principal = arn.IsEmpty ? principalId : arn;
        }
        else if (type.IsEmpty && arn.IsEmpty && principalId.IsEmpty && f.InvokedBy.HasValue)
        {
            // KMS's own scheduled work (automatic rotation, deletion at the end of the window) names only the service.
            kind = "service"u8;
            principal = Concat("service:"u8, p.Get(record, f.InvokedBy));
        }
        else
        {
            kind = "unknown"u8;
            principal = arn.IsEmpty ? principalId : arn;
        }

        batch.SetUtf8Interned(S.PrincipalKind, row, kind, _valid);
        if (!principal.IsEmpty)
        {
            batch.SetUtf8Interned(S.PrincipalArn, row, principal, _valid);
        }
    }

    /// <summary>Key identity: resources[] first, then the response, then the request; a key ARN is never made up from an alias.</summary>
    /// <returns>The key's account, or empty when unknown.</returns>
    private ReadOnlySpan<byte> ProjectKey(ReadOnlySpan<byte> record, KmsRecordParser p, scoped ref KmsRecordFields f, KmsEventBatch batch, int row)
    {
        var requested = p.Get(record, f.RequestKeyId);
        ReadOnlySpan<byte> keyArn = [];
        foreach (var candidate in (ReadOnlySpan<Utf8Slice>)[f.ResourceKeyArn, f.ResponseKeyArn, f.ResponseKeyId, f.RequestKeyId])
        {
            var value = p.Get(record, candidate);
            if (Arn.IsKeyArn(value))
            {
                keyArn = value;
                break;
            }
        }

        if (f.RequestKeyId.HasValue)
        {
            batch.SetUtf8Interned(S.KeyRef, row, requested, _valid);
        }

        if (!keyArn.IsEmpty)
        {
            var account = Arn.Field(keyArn, 4);
            batch.SetUtf8Interned(S.KeyArn, row, keyArn, _valid);
            batch.SetUtf8Interned(S.KeyId, row, Arn.KeyId(keyArn), _valid);
            batch.SetUtf8Interned(S.KeyAccountId, row, account, _valid);
            batch.SetUtf8Interned(S.KeyRegion, row, Arn.Field(keyArn, 3), _valid);
            return account;
        }

        var responseKey = p.Get(record, f.ResponseKeyId);
        var bareId = Arn.IsBareKeyId(requested) ? requested : Arn.IsBareKeyId(responseKey) ? responseKey : [];
        if (!bareId.IsEmpty)
        {
            batch.SetUtf8Interned(S.KeyId, row, bareId, _valid);
        }

        return [];
    }

    /// <summary><c>arn:&lt;partition&gt;:iam::&lt;account&gt;:root</c>, the partition from the record's region.</summary>
    private ReadOnlySpan<byte> AccountRoot(ReadOnlySpan<byte> region, ReadOnlySpan<byte> account) =>
        ConcatAt(PartitionPrefix(region, ":iam::"u8), account, ":root"u8);

    /// <summary><c>arn:&lt;partition&gt;:identitystore:::user/&lt;userId&gt;</c>, the partition from the record's region.</summary>
    private ReadOnlySpan<byte> IdentityStoreUser(ReadOnlySpan<byte> region, ReadOnlySpan<byte> userId) =>
        ConcatAt(PartitionPrefix(region, ":identitystore:::user/"u8), userId, []);

    /// <summary>Writes <c>arn:&lt;partition&gt;</c> and <paramref name="rest"/> at the start of the work buffer; returns the length.</summary>
    private int PartitionPrefix(ReadOnlySpan<byte> region, ReadOnlySpan<byte> rest)
    {
        var len = Append(0, "arn:"u8);
        len = Append(len, Arn.PartitionOfRegion(region));
        return Append(len, rest);
    }

    /// <summary><c>arn:p:sts::acct:assumed-role/Role/session</c> → <c>arn:p:iam::acct:role/Role</c> (a role path is not in the session ARN).</summary>
    private ReadOnlySpan<byte> RoleFromSessionArn(ReadOnlySpan<byte> arn)
    {
        var resource = Arn.Field(arn, 5);
        if (!Arn.Field(arn, 2).SequenceEqual("sts"u8) || !resource.StartsWith("assumed-role/"u8))
        {
            return [];
        }

        var roleAndSession = resource["assumed-role/".Length..];
        var slash = roleAndSession.IndexOf((byte)'/');
        var role = slash < 0 ? roleAndSession : roleAndSession[..slash];
        var len = 0;
        len = Append(len, "arn:"u8);
        len = Append(len, Arn.Field(arn, 1));
        len = Append(len, ":iam::"u8);
        len = Append(len, Arn.Field(arn, 4));
        len = Append(len, ":role/"u8);
        len = Append(len, role);
        return _work.AsSpan(0, len);
    }

    private static ReadOnlySpan<byte> SessionName(ReadOnlySpan<byte> arn)
    {
        var resource = Arn.Field(arn, 5);
        if (!resource.StartsWith("assumed-role/"u8))
        {
            return [];
        }

        var roleAndSession = resource["assumed-role/".Length..];
        var slash = roleAndSession.IndexOf((byte)'/');
        return slash < 0 ? [] : roleAndSession[(slash + 1)..];
    }

    private ReadOnlySpan<byte> Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => ConcatAt(Append(0, a), b, []);

    private ReadOnlySpan<byte> ConcatAt(int len, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c)
    {
        len = Append(len, b);
        len = Append(len, c);
        return _work.AsSpan(0, len);
    }

    private int Append(int len, ReadOnlySpan<byte> value)
    {
        if (_work.Length < len + value.Length)
        {
            Array.Resize(ref _work, Math.Max(_work.Length * 2, len + value.Length));
        }

        value.CopyTo(_work.AsSpan(len));
        return len + value.Length;
    }

    private static string JoinOperations(ReadOnlySpan<byte> jsonArray)
    {
        var sb = new StringBuilder();
        var r = new Utf8JsonReader(jsonArray);
        while (r.Read())
        {
            if (r.TokenType == JsonTokenType.String)
            {
                if (sb.Length > 0)
                {
                    sb.Append(',');
                }

                sb.Append(r.GetString());
            }
        }

        return sb.ToString();
    }

    private void SetPolicy(KmsEventBatch batch, int row, ReadOnlySpan<byte> policyText)
    {
        // The policy is a JSON document carried as a string; store it minified when it parses, verbatim otherwise.
        batch.SetUtf8(S.PolicyJson, row, IsValidJson(policyText) ? JsonMinifier.Minify(policyText, ref _minified) : policyText, _valid);
    }

    private static bool IsValidJson(ReadOnlySpan<byte> text)
    {
        try
        {
            var r = new Utf8JsonReader(text);
            while (r.Read())
            {
            }

            return r.BytesConsumed > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private void Json(KmsEventBatch batch, int slot, int row, ReadOnlySpan<byte> record, KmsRecordParser p, Utf8Slice s)
    {
        if (s.HasValue)
        {
            batch.SetUtf8(slot, row, JsonMinifier.Minify(p.Get(record, s), ref _minified), _valid);
        }
    }

    private void Plain(KmsEventBatch batch, int slot, int row, ReadOnlySpan<byte> record, KmsRecordParser p, Utf8Slice s)
    {
        if (s.HasValue)
        {
            batch.SetUtf8(slot, row, p.Get(record, s), _valid);
        }
    }

    private void Interned(KmsEventBatch batch, int slot, int row, ReadOnlySpan<byte> record, KmsRecordParser p, Utf8Slice s)
    {
        if (s.HasValue)
        {
            batch.SetUtf8Interned(slot, row, p.Get(record, s), _valid);
        }
    }

    /// <summary>
    /// A record without an eventID (trimmed samples and hand-made fixtures omit it; AWS always writes one) is kept rather
    /// than failing its whole file: its id is <c>no-event-id:</c> and the first 128 bits of the SHA-256 of the record's
    /// bytes, so a second delivery of the same bytes gets the same id and is deduplicated like any other copy.
    /// </summary>
    private static void SetDerivedEventId(KmsEventBatch batch, int row, ReadOnlySpan<byte> record)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(record, hash);
        Span<char> id = stackalloc char[DerivedEventIdPrefix.Length + 32];
        DerivedEventIdPrefix.CopyTo(id);
        Convert.TryToHexStringLower(hash[..16], id[DerivedEventIdPrefix.Length..], out _);
        batch.SetChars(S.EventId, row, id);
    }

    private static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "…";
}
