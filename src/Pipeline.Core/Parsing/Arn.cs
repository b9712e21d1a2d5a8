namespace Pipeline.Parsing;

/// <summary>Allocation-free helpers over ARN text (<c>arn:partition:service:region:account:resource</c>).</summary>
internal static class Arn
{
    /// <summary>Whether <paramref name="arn"/> is a KMS key ARN (<c>arn:aws*:kms:region:account:key/id</c>), not an alias ARN.</summary>
    public static bool IsKeyArn(ReadOnlySpan<byte> arn) =>
        arn.StartsWith("arn:"u8) && Field(arn, 2).SequenceEqual("kms"u8) && Field(arn, 5).StartsWith("key/"u8);

    /// <summary>Returns the colon-separated field <paramref name="index"/> (0 = "arn"); the last field keeps any further colons.</summary>
    public static ReadOnlySpan<byte> Field(ReadOnlySpan<byte> arn, int index)
    {
        var rest = arn;
        for (var i = 0; i < index; i++)
        {
            var c = rest.IndexOf((byte)':');
            if (c < 0)
            {
                return [];
            }

            rest = rest[(c + 1)..];
        }

        if (index >= 5)
        {
            return rest;
        }

        var end = rest.IndexOf((byte)':');
        return end < 0 ? rest : rest[..end];
    }

    /// <summary>Key id (UUID or <c>mrk-…</c>) of a key ARN.</summary>
    public static ReadOnlySpan<byte> KeyId(ReadOnlySpan<byte> keyArn) => Field(keyArn, 5)["key/".Length..];

    /// <summary>Whether a requested key reference is a bare key id (UUID or multi-Region <c>mrk-</c> id), not an alias or ARN.</summary>
    public static bool IsBareKeyId(ReadOnlySpan<byte> keyRef)
    {
        if (keyRef.StartsWith("mrk-"u8))
        {
            return keyRef.Length > 4 && keyRef.IndexOfAny((byte)'/', (byte)':') < 0;
        }

        // 8-4-4-4-12 hexadecimal UUID.
        if (keyRef.Length != 36)
        {
            return false;
        }

        for (var i = 0; i < 36; i++)
        {
            var b = keyRef[i];
            var dash = i is 8 or 13 or 18 or 23;
            if (dash ? b != (byte)'-' : !char.IsAsciiHexDigit((char)b))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The AWS partition for a region name: <c>aws-cn</c>, <c>aws-us-gov</c> or <c>aws</c>.</summary>
    public static ReadOnlySpan<byte> PartitionOfRegion(ReadOnlySpan<byte> region) =>
        region.StartsWith("cn-"u8) ? "aws-cn"u8 : region.StartsWith("us-gov-"u8) ? "aws-us-gov"u8 : "aws"u8;
}
