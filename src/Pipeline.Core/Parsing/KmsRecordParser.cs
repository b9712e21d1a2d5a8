using System.Buffers.Text;
using System.Text.Json;

namespace Pipeline.Parsing;

/// <summary>
/// Reads one complete CloudTrail record into <see cref="KmsRecordFields"/>, in one pass, whatever the key order:
/// first with <see cref="KmsRecordScanner"/> (the fast path for records as CloudTrail writes them), and with
/// <see cref="Utf8JsonReader"/> for whatever the scanner declines. Values are kept as slices of the record (no
/// allocation); only strings with escape sequences are unescaped, into a reusable scratch buffer. A value of the
/// wrong type is remembered as the record's type error and read as absent, so a caller can decide to reject the
/// record only if it is KMS.
/// </summary>
internal sealed class KmsRecordParser
{
    private readonly byte[] _nameBuffer = new byte[64];
    private byte[] _scratch = new byte[1024];
    private int _scratchUsed;
    private string? _typeError;

    public ReadOnlySpan<byte> Scratch => _scratch.AsSpan(0, _scratchUsed);

    /// <summary>The first wrong-typed field of the last record parsed, or null.</summary>
    public string? TypeError => _typeError;

    /// <summary>Parses <paramref name="record"/>; throws <see cref="JsonException"/> when it is not valid JSON.</summary>
    /// <remarks>Both paths give the same fields for any record the scanner accepts (KmsRecordScannerTests).</remarks>
    public void Parse(ReadOnlySpan<byte> record, ref KmsRecordFields f, int maxDepth)
    {
        if (KmsRecordScanner.TryParse(record, ref f, maxDepth))
        {
            // Nothing unescaped, no type error: the scanner declines both.
            _scratchUsed = 0;
            _typeError = null;
            return;
        }

        ParseWithReader(record, ref f, maxDepth);
    }

    /// <summary>The general path: any valid JSON, escapes, wrong types (noted in <see cref="TypeError"/>); throws <see cref="JsonException"/> when the record is not valid JSON.</summary>
    internal void ParseWithReader(ReadOnlySpan<byte> record, ref KmsRecordFields f, int maxDepth)
    {
        f = default;
        _scratchUsed = 0;
        _typeError = null;
        var r = new Utf8JsonReader(record, new JsonReaderOptions { MaxDepth = maxDepth });
        r.Read();
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var name = Name(ref r);
            r.Read();
            switch (name.Length)
            {
                case 7 when name.SequenceEqual("eventID"u8):
                    f.EventId = Str(ref r, "eventID");
                    break;
                case 9 when name.SequenceEqual("eventTime"u8):
                    f.EventTime = Str(ref r, "eventTime");
                    break;
                case 9 when name.SequenceEqual("eventName"u8):
                    f.EventName = Str(ref r, "eventName");
                    break;
                case 9 when name.SequenceEqual("awsRegion"u8):
                    f.AwsRegion = Str(ref r, "awsRegion");
                    break;
                case 9 when name.SequenceEqual("errorCode"u8):
                    f.ErrorCode = Str(ref r, "errorCode");
                    break;
                case 9 when name.SequenceEqual("requestID"u8):
                    f.RequestId = Str(ref r, "requestID");
                    break;
                case 9 when name.SequenceEqual("eventType"u8):
                    f.EventType = Str(ref r, "eventType");
                    break;
                case 9 when name.SequenceEqual("userAgent"u8):
                    f.UserAgent = Str(ref r, "userAgent");
                    break;
                case 8 when name.SequenceEqual("readOnly"u8):
                    f.ReadOnly = Bool(ref r, "readOnly");
                    break;
                case 9 when name.SequenceEqual("resources"u8):
                    f.Resources = ReadResources(ref r, record, ref f);
                    break;
                case 11 when name.SequenceEqual("eventSource"u8):
                    f.EventSource = Str(ref r, "eventSource");
                    break;
                case 12 when name.SequenceEqual("eventVersion"u8):
                    f.EventVersion = Str(ref r, "eventVersion");
                    break;
                case 12 when name.SequenceEqual("userIdentity"u8):
                    ReadUserIdentity(ref r, ref f);
                    break;
                case 12 when name.SequenceEqual("errorMessage"u8):
                    f.ErrorMessage = Str(ref r, "errorMessage");
                    break;
                case 13 when name.SequenceEqual("sharedEventID"u8):
                    f.SharedEventId = Str(ref r, "sharedEventID");
                    break;
                case 13 when name.SequenceEqual("vpcEndpointId"u8):
                    f.VpcEndpointId = Str(ref r, "vpcEndpointId");
                    break;
                case 13 when name.SequenceEqual("eventCategory"u8):
                    f.EventCategory = Str(ref r, "eventCategory");
                    break;
                case 15 when name.SequenceEqual("sourceIPAddress"u8):
                    f.SourceIpAddress = Str(ref r, "sourceIPAddress");
                    break;
                case 15 when name.SequenceEqual("managementEvent"u8):
                    f.ManagementEvent = Bool(ref r, "managementEvent");
                    break;
                case 16 when name.SequenceEqual("responseElements"u8):
                    f.ResponseElements = ReadResponseElements(ref r, ref f);
                    break;
                case 17 when name.SequenceEqual("requestParameters"u8):
                    f.RequestParameters = ReadRequestParameters(ref r, ref f);
                    break;
                case 18 when name.SequenceEqual("recipientAccountId"u8):
                    f.RecipientAccountId = Str(ref r, "recipientAccountId");
                    break;
                case 19 when name.SequenceEqual("additionalEventData"u8):
                    f.AdditionalEventData = Raw(ref r);
                    break;
                default:
                    r.Skip();
                    break;
            }
        }
    }

    public ReadOnlySpan<byte> Get(ReadOnlySpan<byte> record, Utf8Slice s) => s.Source switch
    {
        SliceSource.Record => record.Slice(s.Start, s.Length),
        SliceSource.Scratch => _scratch.AsSpan(s.Start, s.Length),
        _ => [],
    };

    private void ReadUserIdentity(ref Utf8JsonReader r, ref KmsRecordFields f)
    {
        if (r.TokenType != JsonTokenType.StartObject)
        {
            NoteType(ref r, "userIdentity", "an object");
            return;
        }

        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var name = Name(ref r);
            r.Read();
            if (name.SequenceEqual("type"u8))
            {
                f.IdentityType = Str(ref r, "userIdentity.type");
            }
            else if (name.SequenceEqual("arn"u8))
            {
                f.IdentityArn = Str(ref r, "userIdentity.arn");
            }
            else if (name.SequenceEqual("accountId"u8))
            {
                f.IdentityAccountId = Str(ref r, "userIdentity.accountId");
            }
            else if (name.SequenceEqual("principalId"u8))
            {
                f.IdentityPrincipalId = Str(ref r, "userIdentity.principalId");
            }
            else if (name.SequenceEqual("invokedBy"u8))
            {
                f.InvokedBy = Str(ref r, "userIdentity.invokedBy");
            }
            else if (name.SequenceEqual("accessKeyId"u8))
            {
                f.AccessKeyId = Str(ref r, "userIdentity.accessKeyId");
            }
            else if (name.SequenceEqual("userName"u8))
            {
                f.IdentityUserName = Str(ref r, "userIdentity.userName");
            }
            else if (name.SequenceEqual("sessionContext"u8) && r.TokenType == JsonTokenType.StartObject)
            {
                ReadSessionContext(ref r, ref f);
            }
            else if (name.SequenceEqual("onBehalfOf"u8) && r.TokenType == JsonTokenType.StartObject)
            {
                f.OnBehalfOfUserId = StringMember(ref r, "userId"u8, "userIdentity.onBehalfOf.userId");
            }
            else
            {
                r.Skip();
            }
        }
    }

    private void ReadSessionContext(ref Utf8JsonReader r, ref KmsRecordFields f)
    {
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var isIssuer = Name(ref r).SequenceEqual("sessionIssuer"u8);
            r.Read();
            if (!isIssuer || r.TokenType != JsonTokenType.StartObject)
            {
                r.Skip();
                continue;
            }

            f.IssuerArn = StringMember(ref r, "arn"u8, "userIdentity.sessionContext.sessionIssuer.arn");
        }
    }

    private Utf8Slice ReadRequestParameters(ref Utf8JsonReader r, ref KmsRecordFields f)
    {
        if (r.TokenType != JsonTokenType.StartObject)
        {
            return Raw(ref r);
        }

        var start = (int)r.TokenStartIndex;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var name = Name(ref r);
            r.Read();
            if (name.SequenceEqual("keyId"u8))
            {
                f.RequestKeyId = Str(ref r, "requestParameters.keyId");
            }
            else if (name.SequenceEqual("encryptionContext"u8))
            {
                f.EncryptionContext = Raw(ref r);
            }
            else if (name.SequenceEqual("sourceEncryptionContext"u8))
            {
                // ReEncrypt: the context the data was encrypted under (the destination's is in request_parameters_json).
                var context = Raw(ref r);
                if (!f.EncryptionContext.HasValue)
                {
                    f.EncryptionContext = context;
                }
            }
            else if (name.SequenceEqual("encryptionAlgorithm"u8))
            {
                f.EncryptionAlgorithm = Str(ref r, "requestParameters.encryptionAlgorithm");
            }
            else if (name.SequenceEqual("keySpec"u8) || name.SequenceEqual("keyPairSpec"u8))
            {
                f.KeySpec = Str(ref r, "requestParameters.keySpec");
            }
            else if (name.SequenceEqual("customerMasterKeySpec"u8))
            {
                // CreateKey's older name for keySpec (records before 2021 carry only this one).
                var spec = Str(ref r, "requestParameters.customerMasterKeySpec");
                if (!f.KeySpec.HasValue)
                {
                    f.KeySpec = spec;
                }
            }
            else if (name.SequenceEqual("granteePrincipal"u8))
            {
                f.GranteePrincipal = Str(ref r, "requestParameters.granteePrincipal");
            }
            else if (name.SequenceEqual("operations"u8))
            {
                f.Operations = Raw(ref r);
            }
            else if (name.SequenceEqual("policy"u8))
            {
                // CloudTrail logs the policy as a JSON string; some exported or test data carries the document itself.
                f.Policy = r.TokenType == JsonTokenType.StartObject ? Raw(ref r) : Str(ref r, "requestParameters.policy");
            }
            else if (name.SequenceEqual("pendingWindowInDays"u8))
            {
                f.PendingWindowDays = Int(ref r, "requestParameters.pendingWindowInDays");
            }
            else if (name.SequenceEqual("bypassPolicyLockoutSafetyCheck"u8))
            {
                f.BypassLockoutCheck = Bool(ref r, "requestParameters.bypassPolicyLockoutSafetyCheck");
            }
            else
            {
                r.Skip();
            }
        }

        return new Utf8Slice(start, (int)r.BytesConsumed - start, SliceSource.Record);
    }

    private Utf8Slice ReadResponseElements(ref Utf8JsonReader r, ref KmsRecordFields f)
    {
        if (r.TokenType != JsonTokenType.StartObject)
        {
            return Raw(ref r);
        }

        var start = (int)r.TokenStartIndex;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var name = Name(ref r);
            r.Read();
            if (name.SequenceEqual("keyId"u8))
            {
                f.ResponseKeyId = Str(ref r, "responseElements.keyId");
            }
            else if (name.SequenceEqual("pendingWindowInDays"u8))
            {
                // Read even when the request already gave it, so that the value is consumed whatever its type.
                var days = Int(ref r, "responseElements.pendingWindowInDays");
                f.PendingWindowDays ??= days;
            }
            else if (name.SequenceEqual("keyMetadata"u8) && r.TokenType == JsonTokenType.StartObject)
            {
                f.ResponseKeyArn = StringMember(ref r, "arn"u8, "responseElements.keyMetadata.arn");
            }
            else if (name.SequenceEqual("replicaPolicy"u8))
            {
                // ReplicateKey logs the replica's key policy in its response, not in its request.
                var policy = r.TokenType == JsonTokenType.StartObject ? Raw(ref r) : Str(ref r, "responseElements.replicaPolicy");
                if (!f.Policy.HasValue)
                {
                    f.Policy = policy;
                }
            }
            else
            {
                r.Skip();
            }
        }

        return new Utf8Slice(start, (int)r.BytesConsumed - start, SliceSource.Record);
    }

    private Utf8Slice ReadResources(ref Utf8JsonReader r, ReadOnlySpan<byte> record, ref KmsRecordFields f)
    {
        if (r.TokenType != JsonTokenType.StartArray)
        {
            return Raw(ref r);
        }

        var start = (int)r.TokenStartIndex;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (r.TokenType != JsonTokenType.StartObject)
            {
                r.Skip();
                continue;
            }

            Utf8Slice arn = default, account = default;
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                var name = Name(ref r);
                r.Read();
                if (name.SequenceEqual("ARN"u8) || name.SequenceEqual("arn"u8))
                {
                    arn = Str(ref r, "resources[].ARN");
                }
                else if (name.SequenceEqual("accountId"u8))
                {
                    account = Str(ref r, "resources[].accountId");
                }
                else
                {
                    r.Skip();
                }
            }

            if (!f.ResourceKeyArn.HasValue && arn.HasValue && Arn.IsKeyArn(Get(record, arn)))
            {
                f.ResourceKeyArn = arn;
                f.ResourceKeyAccountId = account;
            }
        }

        return new Utf8Slice(start, (int)r.BytesConsumed - start, SliceSource.Record);
    }

    /// <summary>Reads the object the reader is on, keeping only the string member <paramref name="property"/>.</summary>
    private Utf8Slice StringMember(ref Utf8JsonReader r, ReadOnlySpan<byte> property, string field)
    {
        Utf8Slice value = default;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var match = Name(ref r).SequenceEqual(property);
            r.Read();
            if (match)
            {
                value = Str(ref r, field);
            }
            else
            {
                r.Skip();
            }
        }

        return value;
    }

    private static Utf8Slice Raw(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Null)
        {
            return default;
        }

        var start = (int)r.TokenStartIndex;
        r.Skip();
        return new Utf8Slice(start, (int)r.BytesConsumed - start, SliceSource.Record);
    }

    private Utf8Slice Str(ref Utf8JsonReader r, string field)
    {
        switch (r.TokenType)
        {
            case JsonTokenType.String when !r.ValueIsEscaped:
                return new Utf8Slice((int)r.TokenStartIndex + 1, r.ValueSpan.Length, SliceSource.Record);
            case JsonTokenType.String:
                EnsureScratch(r.ValueSpan.Length);
                int n;
                try
                {
                    n = r.CopyString(_scratch.AsSpan(_scratchUsed));
                }
                catch (InvalidOperationException)
                {
                    // Valid JSON that is not valid Unicode once unescaped (a lone surrogate such as \ud800): keep the
                    // value as written rather than lose the record.
                    return new Utf8Slice((int)r.TokenStartIndex + 1, r.ValueSpan.Length, SliceSource.Record);
                }

                var s = new Utf8Slice(_scratchUsed, n, SliceSource.Scratch);
                _scratchUsed += n;
                return s;
            case JsonTokenType.Null:
                return default;
            default:
                NoteType(ref r, field, "a string");
                return default;
        }
    }

    private bool? Bool(ref Utf8JsonReader r, string field)
    {
        switch (r.TokenType)
        {
            case JsonTokenType.True:
                return true;
            case JsonTokenType.False:
                return false;
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String when r.ValueTextEquals("true"u8):
                return true;
            case JsonTokenType.String when r.ValueTextEquals("false"u8):
                return false;
            default:
                NoteType(ref r, field, "a boolean");
                return null;
        }
    }

    private int? Int(ref Utf8JsonReader r, string field)
    {
        if (r.TokenType == JsonTokenType.Number && r.TryGetInt32(out var n))
        {
            return n;
        }

        if (r.TokenType == JsonTokenType.String && !r.ValueIsEscaped && Utf8Parser.TryParse(r.ValueSpan, out int m, out var used) && used == r.ValueSpan.Length)
        {
            return m;
        }

        if (r.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        NoteType(ref r, field, "an integer");
        return null;
    }

    private void NoteType(ref Utf8JsonReader r, string field, string expected)
    {
        _typeError ??= $"field '{field}' must be {expected}, found {r.TokenType}";
        r.Skip();
    }

    private ReadOnlySpan<byte> Name(ref Utf8JsonReader r)
    {
        var buffer = _nameBuffer.AsSpan();
        if (!r.ValueIsEscaped)
        {
            return r.ValueSpan;
        }

        // Escaped property names are legal JSON; names longer than the buffer cannot be ones we read, and names that
        // do not unescape to valid Unicode are not ones we read either.
        if (r.ValueSpan.Length > buffer.Length)
        {
            return [];
        }

        try
        {
            return buffer[..r.CopyString(buffer)];
        }
        catch (InvalidOperationException)
        {
            return [];
        }
    }

    private void EnsureScratch(int extra)
    {
        if (_scratch.Length - _scratchUsed < extra)
        {
            Array.Resize(ref _scratch, Math.Max(_scratch.Length * 2, _scratchUsed + extra));
        }
    }
}
