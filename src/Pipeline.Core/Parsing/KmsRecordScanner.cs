using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Pipeline.Parsing;

/// <summary>
/// The fast path of <see cref="KmsRecordParser"/>: a hand-written, validating scanner for the shape CloudTrail writes
/// (compact JSON, unescaped names, values of the expected types). It fills the same <see cref="KmsRecordFields"/> as
/// the <see cref="System.Text.Json.Utf8JsonReader"/> path, without that reader's general machinery (token state,
/// multi-segment input, comment handling), and it checks the whole record against the JSON grammar as it goes:
/// structure, commas and colons, string escapes and control characters, number and literal syntax, nesting depth.
/// <para>
/// It declines (returns false) on anything outside that shape: invalid JSON, an escaped property name, an escaped
/// string it would have to keep, a field of the wrong type, an integer it would have to range-check, deep nesting.
/// The caller then parses the record with the reader, which handles those cases and reports errors as before, so
/// declining is always safe; accepting must only ever happen when the reader would give the same fields.
/// </para>
/// </summary>
internal static class KmsRecordScanner
{
    /// <summary>Fills <paramref name="f"/> from <paramref name="record"/>; false (with <paramref name="f"/> undefined) when the caller must use the reader.</summary>
    public static bool TryParse(ReadOnlySpan<byte> record, ref KmsRecordFields f, int maxDepth)
    {
        f = default;
        var c = new Cursor(record, maxDepth);
        if (!c.EnterObject())
        {
            return false;
        }

        var first = true;
        while (c.NextMember(ref first, out var name))
        {
            switch (name.Length)
            {
                case 7 when name.SequenceEqual("eventID"u8):
                    f.EventId = c.Str();
                    break;
                case 9 when name.SequenceEqual("eventTime"u8):
                    f.EventTime = c.Str();
                    break;
                case 9 when name.SequenceEqual("eventName"u8):
                    f.EventName = c.Str();
                    break;
                case 9 when name.SequenceEqual("awsRegion"u8):
                    f.AwsRegion = c.Str();
                    break;
                case 9 when name.SequenceEqual("errorCode"u8):
                    f.ErrorCode = c.Str();
                    break;
                case 9 when name.SequenceEqual("requestID"u8):
                    f.RequestId = c.Str();
                    break;
                case 9 when name.SequenceEqual("eventType"u8):
                    f.EventType = c.Str();
                    break;
                case 9 when name.SequenceEqual("userAgent"u8):
                    f.UserAgent = c.Str();
                    break;
                case 8 when name.SequenceEqual("readOnly"u8):
                    f.ReadOnly = c.Bool();
                    break;
                case 9 when name.SequenceEqual("resources"u8):
                    f.Resources = Resources(ref c, record, ref f);
                    break;
                case 11 when name.SequenceEqual("eventSource"u8):
                    f.EventSource = c.Str();
                    break;
                case 12 when name.SequenceEqual("eventVersion"u8):
                    f.EventVersion = c.Str();
                    break;
                case 12 when name.SequenceEqual("userIdentity"u8):
                    UserIdentity(ref c, ref f);
                    break;
                case 12 when name.SequenceEqual("errorMessage"u8):
                    f.ErrorMessage = c.Str();
                    break;
                case 13 when name.SequenceEqual("sharedEventID"u8):
                    f.SharedEventId = c.Str();
                    break;
                case 13 when name.SequenceEqual("vpcEndpointId"u8):
                    f.VpcEndpointId = c.Str();
                    break;
                case 13 when name.SequenceEqual("eventCategory"u8):
                    f.EventCategory = c.Str();
                    break;
                case 15 when name.SequenceEqual("sourceIPAddress"u8):
                    f.SourceIpAddress = c.Str();
                    break;
                case 15 when name.SequenceEqual("managementEvent"u8):
                    f.ManagementEvent = c.Bool();
                    break;
                case 16 when name.SequenceEqual("responseElements"u8):
                    f.ResponseElements = ResponseElements(ref c, ref f);
                    break;
                case 17 when name.SequenceEqual("requestParameters"u8):
                    f.RequestParameters = RequestParameters(ref c, ref f);
                    break;
                case 18 when name.SequenceEqual("recipientAccountId"u8):
                    f.RecipientAccountId = c.Str();
                    break;
                case 19 when name.SequenceEqual("additionalEventData"u8):
                    f.AdditionalEventData = c.Raw();
                    break;
                default:
                    c.SkipValue();
                    break;
            }
        }

        return !c.Failed;
    }

    private static void UserIdentity(ref Cursor c, ref KmsRecordFields f)
    {
        if (!c.EnterObject())
        {
            c.Fail(); // not an object: the reader notes the type error
            return;
        }

        var first = true;
        while (c.NextMember(ref first, out var name))
        {
            if (name.SequenceEqual("type"u8))
            {
                f.IdentityType = c.Str();
            }
            else if (name.SequenceEqual("arn"u8))
            {
                f.IdentityArn = c.Str();
            }
            else if (name.SequenceEqual("accountId"u8))
            {
                f.IdentityAccountId = c.Str();
            }
            else if (name.SequenceEqual("principalId"u8))
            {
                f.IdentityPrincipalId = c.Str();
            }
            else if (name.SequenceEqual("invokedBy"u8))
            {
                f.InvokedBy = c.Str();
            }
            else if (name.SequenceEqual("accessKeyId"u8))
            {
                f.AccessKeyId = c.Str();
            }
            else if (name.SequenceEqual("userName"u8))
            {
                f.IdentityUserName = c.Str();
            }
            else if (name.SequenceEqual("onBehalfOf"u8) && c.EnterObject())
            {
                f.OnBehalfOfUserId = StringMember(ref c, "userId"u8);
            }
            else if (name.SequenceEqual("sessionContext"u8) && c.EnterObject())
            {
                var inner = true;
                while (c.NextMember(ref inner, out var member))
                {
                    if (member.SequenceEqual("sessionIssuer"u8) && c.EnterObject())
                    {
                        f.IssuerArn = StringMember(ref c, "arn"u8);
                    }
                    else
                    {
                        c.SkipValue();
                    }
                }
            }
            else
            {
                c.SkipValue();
            }
        }
    }

    private static Utf8Slice RequestParameters(ref Cursor c, ref KmsRecordFields f)
    {
        var start = c.ValueStart();
        if (!c.EnterObject())
        {
            return c.Raw();
        }

        var first = true;
        while (c.NextMember(ref first, out var name))
        {
            if (name.SequenceEqual("keyId"u8))
            {
                f.RequestKeyId = c.Str();
            }
            else if (name.SequenceEqual("encryptionContext"u8))
            {
                f.EncryptionContext = c.Raw();
            }
            else if (name.SequenceEqual("sourceEncryptionContext"u8))
            {
                var context = c.Raw();
                if (!f.EncryptionContext.HasValue)
                {
                    f.EncryptionContext = context;
                }
            }
            else if (name.SequenceEqual("encryptionAlgorithm"u8))
            {
                f.EncryptionAlgorithm = c.Str();
            }
            else if (name.SequenceEqual("keySpec"u8) || name.SequenceEqual("keyPairSpec"u8))
            {
                f.KeySpec = c.Str();
            }
            else if (name.SequenceEqual("customerMasterKeySpec"u8))
            {
                var spec = c.Str();
                if (!f.KeySpec.HasValue)
                {
                    f.KeySpec = spec;
                }
            }
            else if (name.SequenceEqual("granteePrincipal"u8))
            {
                f.GranteePrincipal = c.Str();
            }
            else if (name.SequenceEqual("operations"u8))
            {
                f.Operations = c.Raw();
            }
            else if (name.SequenceEqual("policy"u8))
            {
                f.Policy = c.NextIs((byte)'{') ? c.Raw() : c.Str();
            }
            else if (name.SequenceEqual("pendingWindowInDays"u8))
            {
                f.PendingWindowDays = c.Int();
            }
            else if (name.SequenceEqual("bypassPolicyLockoutSafetyCheck"u8))
            {
                f.BypassLockoutCheck = c.Bool();
            }
            else
            {
                c.SkipValue();
            }
        }

        return c.SliceFrom(start);
    }

    private static Utf8Slice ResponseElements(ref Cursor c, ref KmsRecordFields f)
    {
        var start = c.ValueStart();
        if (!c.EnterObject())
        {
            return c.Raw();
        }

        var first = true;
        while (c.NextMember(ref first, out var name))
        {
            if (name.SequenceEqual("keyId"u8))
            {
                f.ResponseKeyId = c.Str();
            }
            else if (name.SequenceEqual("pendingWindowInDays"u8))
            {
                var days = c.Int();
                f.PendingWindowDays ??= days;
            }
            else if (name.SequenceEqual("keyMetadata"u8) && c.EnterObject())
            {
                f.ResponseKeyArn = StringMember(ref c, "arn"u8);
            }
            else if (name.SequenceEqual("replicaPolicy"u8))
            {
                var policy = c.NextIs((byte)'{') ? c.Raw() : c.Str();
                if (!f.Policy.HasValue)
                {
                    f.Policy = policy;
                }
            }
            else
            {
                c.SkipValue();
            }
        }

        return c.SliceFrom(start);
    }

    private static Utf8Slice Resources(ref Cursor c, ReadOnlySpan<byte> record, ref KmsRecordFields f)
    {
        var start = c.ValueStart();
        if (!c.EnterArray())
        {
            return c.Raw();
        }

        var first = true;
        while (c.NextElement(ref first))
        {
            if (!c.EnterObject())
            {
                c.SkipValue();
                continue;
            }

            Utf8Slice arn = default, account = default;
            var inner = true;
            while (c.NextMember(ref inner, out var name))
            {
                if (name.SequenceEqual("ARN"u8) || name.SequenceEqual("arn"u8))
                {
                    arn = c.Str();
                }
                else if (name.SequenceEqual("accountId"u8))
                {
                    account = c.Str();
                }
                else
                {
                    c.SkipValue();
                }
            }

            if (!f.ResourceKeyArn.HasValue && arn.HasValue && Arn.IsKeyArn(record.Slice(arn.Start, arn.Length)))
            {
                f.ResourceKeyArn = arn;
                f.ResourceKeyAccountId = account;
            }
        }

        return c.SliceFrom(start);
    }

    /// <summary>Reads the object just entered, keeping only the string member <paramref name="property"/> (the last one wins).</summary>
    private static Utf8Slice StringMember(ref Cursor c, ReadOnlySpan<byte> property)
    {
        Utf8Slice value = default;
        var first = true;
        while (c.NextMember(ref first, out var name))
        {
            if (name.SequenceEqual(property))
            {
                value = c.Str();
            }
            else
            {
                c.SkipValue();
            }
        }

        return value;
    }

    /// <summary>
    /// A position in the record. A failure is sticky: it moves the position to the end, so every later step finds
    /// nothing and every loop ends, and <see cref="Failed"/> tells the caller to decline.
    /// </summary>
    private ref struct Cursor(ReadOnlySpan<byte> s, int maxDepth)
    {
        private readonly ReadOnlySpan<byte> _s = s;
        private readonly int _maxDepth = maxDepth;
        private int _pos;
        private int _depth;
        private int _stringStart; // where the content of the string last scanned starts

        public bool Failed { get; private set; }

        /// <summary>Whether the next value (after whitespace) starts with <paramref name="b"/>.</summary>
        public bool NextIs(byte b)
        {
            SkipWhitespace();
            return (uint)_pos < (uint)_s.Length && _s[_pos] == b;
        }

        public void Fail()
        {
            Failed = true;
            _pos = _s.Length;
        }

        /// <summary>Skips whitespace and returns where the next value starts.</summary>
        public int ValueStart()
        {
            SkipWhitespace();
            return _pos;
        }

        public readonly Utf8Slice SliceFrom(int start) =>
            Failed ? default : new Utf8Slice(start, _pos - start, SliceSource.Record);

        /// <summary>Consumes <c>{</c> if the next value is an object.</summary>
        public bool EnterObject() => Enter((byte)'{');

        /// <summary>Consumes <c>[</c> if the next value is an array.</summary>
        public bool EnterArray() => Enter((byte)'[');

        /// <summary>
        /// Moves to the next member of the object entered last and returns its name, positioned at its value; false
        /// (past the closing brace) when the object ends.
        /// </summary>
        public bool NextMember(ref bool first, out ReadOnlySpan<byte> name)
        {
            name = default;
            SkipWhitespace();
            if ((uint)_pos >= (uint)_s.Length)
            {
                Fail();
                return false;
            }

            if (_s[_pos] == (byte)'}')
            {
                // Only before the first member or after a value: right after a comma a name must follow.
                _pos++;
                _depth--;
                return false;
            }

            if (!first)
            {
                if (_s[_pos] != (byte)',')
                {
                    Fail();
                    return false;
                }

                _pos++;
                SkipWhitespace();
                if ((uint)_pos >= (uint)_s.Length)
                {
                    Fail();
                    return false;
                }
            }

            first = false;
            if (_s[_pos] != (byte)'"' || !ScanString(out var escaped) || escaped)
            {
                Fail();
                return false;
            }

            var end = _pos - 1;
            var start = _stringStart;
            SkipWhitespace();
            if ((uint)_pos >= (uint)_s.Length || _s[_pos] != (byte)':')
            {
                Fail();
                return false;
            }

            _pos++;
            SkipWhitespace();
            name = _s[start..end];
            return true;
        }

        /// <summary>Moves to the next element of the array entered last; false (past the closing bracket) when it ends.</summary>
        public bool NextElement(ref bool first)
        {
            SkipWhitespace();
            if ((uint)_pos >= (uint)_s.Length)
            {
                Fail();
                return false;
            }

            if (_s[_pos] == (byte)']')
            {
                _pos++;
                _depth--;
                return false;
            }

            if (!first)
            {
                if (_s[_pos] != (byte)',')
                {
                    Fail();
                    return false;
                }

                _pos++;
                SkipWhitespace();
            }

            first = false;
            return true;
        }

        /// <summary>A string value kept as a slice of the record; null reads as absent; anything else (or an escape) declines.</summary>
        public Utf8Slice Str()
        {
            SkipWhitespace();
            if ((uint)_pos < (uint)_s.Length)
            {
                var b = _s[_pos];
                if (b == (byte)'"')
                {
                    if (ScanString(out var escaped) && !escaped)
                    {
                        return new Utf8Slice(_stringStart, _pos - 1 - _stringStart, SliceSource.Record);
                    }
                }
                else if (b == (byte)'n' && Literal("null"u8))
                {
                    return default;
                }
            }

            Fail();
            return default;
        }

        public bool? Bool()
        {
            SkipWhitespace();
            if ((uint)_pos < (uint)_s.Length)
            {
                switch (_s[_pos])
                {
                    case (byte)'t' when Literal("true"u8):
                        return true;
                    case (byte)'f' when Literal("false"u8):
                        return false;
                    case (byte)'n' when Literal("null"u8):
                        return null;
                    case (byte)'"':
                        if (ScanString(out var escaped) && !escaped)
                        {
                            var text = _s[_stringStart..(_pos - 1)];
                            if (text.SequenceEqual("true"u8))
                            {
                                return true;
                            }

                            if (text.SequenceEqual("false"u8))
                            {
                                return false;
                            }
                        }

                        break;
                }
            }

            Fail();
            return null;
        }

        /// <summary>An integer of at most nine digits, or null; anything else declines (the reader range-checks it).</summary>
        public int? Int()
        {
            SkipWhitespace();
            if ((uint)_pos < (uint)_s.Length && _s[_pos] == (byte)'n' && Literal("null"u8))
            {
                return null;
            }

            var start = _pos;
            if (!ScanNumber(out var integer) || !integer)
            {
                Fail();
                return null;
            }

            var digits = _s[start.._pos];
            var negative = digits[0] == (byte)'-';
            if (negative)
            {
                digits = digits[1..];
            }

            if (digits.Length > 9)
            {
                Fail();
                return null;
            }

            var n = 0;
            foreach (var d in digits)
            {
                n = (n * 10) + (d - '0');
            }

            return negative ? -n : n;
        }

        /// <summary>Any value as written (null reads as absent), validated.</summary>
        public Utf8Slice Raw()
        {
            SkipWhitespace();
            if ((uint)_pos < (uint)_s.Length && _s[_pos] == (byte)'n' && Literal("null"u8))
            {
                return default;
            }

            var start = _pos;
            SkipValue();
            return SliceFrom(start);
        }

        /// <summary>Validates and steps over one value of any kind.</summary>
        public void SkipValue()
        {
            SkipWhitespace();
            if ((uint)_pos >= (uint)_s.Length)
            {
                Fail();
                return;
            }

            switch (_s[_pos])
            {
                case (byte)'"':
                    if (!ScanString(out _))
                    {
                        Fail();
                    }

                    return;
                case (byte)'{':
                    _pos++;
                    if (++_depth >= _maxDepth)
                    {
                        Fail();
                        return;
                    }

                    var firstMember = true;
                    while (NextMember(ref firstMember, out _))
                    {
                        SkipValue();
                    }

                    return;
                case (byte)'[':
                    _pos++;
                    if (++_depth >= _maxDepth)
                    {
                        Fail();
                        return;
                    }

                    var firstElement = true;
                    while (NextElement(ref firstElement))
                    {
                        SkipValue();
                    }

                    return;
                case (byte)'t':
                    Require(Literal("true"u8));
                    return;
                case (byte)'f':
                    Require(Literal("false"u8));
                    return;
                case (byte)'n':
                    Require(Literal("null"u8));
                    return;
                default:
                    Require(ScanNumber(out _));
                    return;
            }
        }

        private void Require(bool ok)
        {
            if (!ok)
            {
                Fail();
            }
        }

        private bool Enter(byte open)
        {
            SkipWhitespace();
            if ((uint)_pos >= (uint)_s.Length || _s[_pos] != open)
            {
                return false;
            }

            _pos++;
            if (++_depth >= _maxDepth)
            {
                Fail();
                return false;
            }

            return true;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void SkipWhitespace()
        {
            while ((uint)_pos < (uint)_s.Length)
            {
                var b = _s[_pos];
                if (b > (byte)' ' || (b != (byte)' ' && b != (byte)'\n' && b != (byte)'\r' && b != (byte)'\t'))
                {
                    return;
                }

                _pos++;
            }
        }

        /// <summary>
        /// At an opening quote: steps past the closing one, noting where the content starts. False when the string
        /// is unterminated, holds a raw control character or an invalid escape.
        /// </summary>
        private bool ScanString(out bool escaped)
        {
            escaped = false;
            var i = _pos + 1;
            _stringStart = i;
            while (true)
            {
                i = FindStringStop(_s, i);
                if (i < 0)
                {
                    return false;
                }

                var b = _s[i];
                if (b == (byte)'"')
                {
                    _pos = i + 1;
                    return true;
                }

                if (b != (byte)'\\' || i + 1 >= _s.Length)
                {
                    return false; // a control character, or a backslash at the very end
                }

                escaped = true;
                switch (_s[i + 1])
                {
                    case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                        i += 2;
                        break;
                    case (byte)'u' when i + 5 < _s.Length && IsHex(_s[i + 2]) && IsHex(_s[i + 3]) && IsHex(_s[i + 4]) && IsHex(_s[i + 5]):
                        // Like the reader, any four hex digits (a lone surrogate is valid JSON; only unescaping objects).
                        i += 6;
                        break;
                    default:
                        return false;
                }
            }
        }

        /// <summary>
        /// <see cref="IndexOfStringStop"/> with the first 16 bytes checked in place: most names and values of a record
        /// (regions, event names, account ids, member names) end within them, and then no call is made. Vector128 is
        /// in every x64 and Arm64 baseline, so this stays in the precompiled code.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int FindStringStop(ReadOnlySpan<byte> s, int i)
        {
            if (Vector128.IsHardwareAccelerated && i <= s.Length - Vector128<byte>.Count)
            {
                var v = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i);
                var stops = (Vector128.Equals(v, Vector128.Create((byte)'"'))
                    | Vector128.Equals(v, Vector128.Create((byte)'\\'))
                    | Vector128.LessThan(v, Vector128.Create((byte)' '))).ExtractMostSignificantBits();
                if (stops != 0)
                {
                    return i + BitOperations.TrailingZeroCount(stops);
                }

                i += Vector128<byte>.Count;
            }

            return IndexOfStringStop(s, i);
        }

        /// <summary>
        /// The first closing quote, backslash or control character at or after <paramref name="i"/>, or -1: 32 bytes
        /// per step (most CloudTrail strings end within one or two), bytewise for the record's last few bytes.
        /// </summary>
        private static int IndexOfStringStop(ReadOnlySpan<byte> s, int i)
        {
            if (Vector256.IsHardwareAccelerated)
            {
                ref var start = ref MemoryMarshal.GetReference(s);
                var quote = Vector256.Create((byte)'"');
                var backslash = Vector256.Create((byte)'\\');
                var space = Vector256.Create((byte)' ');
                for (; i <= s.Length - Vector256<byte>.Count; i += Vector256<byte>.Count)
                {
                    var v = Vector256.LoadUnsafe(ref start, (nuint)i);
                    var stops = (Vector256.Equals(v, quote) | Vector256.Equals(v, backslash) | Vector256.LessThan(v, space)).ExtractMostSignificantBits();
                    if (stops != 0)
                    {
                        return i + BitOperations.TrailingZeroCount(stops);
                    }
                }
            }

            for (; i < s.Length; i++)
            {
                var b = s[i];
                if (b == (byte)'"' || b == (byte)'\\' || b < (byte)' ')
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>JSON number syntax: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</summary>
        private bool ScanNumber(out bool integer)
        {
            integer = true;
            var i = _pos;
            var s = _s;
            if (i < s.Length && s[i] == (byte)'-')
            {
                i++;
            }

            if (i >= s.Length || !IsDigit(s[i]))
            {
                return false;
            }

            if (s[i] == (byte)'0')
            {
                i++;
            }
            else
            {
                while (i < s.Length && IsDigit(s[i]))
                {
                    i++;
                }
            }

            if (i < s.Length && s[i] == (byte)'.')
            {
                integer = false;
                i++;
                if (i >= s.Length || !IsDigit(s[i]))
                {
                    return false;
                }

                while (i < s.Length && IsDigit(s[i]))
                {
                    i++;
                }
            }

            if (i < s.Length && (s[i] | 0x20) == (byte)'e')
            {
                integer = false;
                i++;
                if (i < s.Length && (s[i] == (byte)'+' || s[i] == (byte)'-'))
                {
                    i++;
                }

                if (i >= s.Length || !IsDigit(s[i]))
                {
                    return false;
                }

                while (i < s.Length && IsDigit(s[i]))
                {
                    i++;
                }
            }

            _pos = i;
            return true;
        }

        private bool Literal(ReadOnlySpan<byte> literal)
        {
            if (!_s[_pos..].StartsWith(literal))
            {
                return false;
            }

            _pos += literal.Length;
            return true;
        }

        private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

        private static bool IsHex(byte b) => (uint)(b - '0') <= 9 || (uint)((b | 0x20) - 'a') <= 5;
    }
}
