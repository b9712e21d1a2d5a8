namespace Pipeline.Sink;

/// <summary>Where a dataset is written: a local folder or an S3 bucket and prefix.</summary>
internal sealed record OutputLocation(string? LocalPath, string? Bucket, string Prefix)
{
    public bool IsS3 => Bucket is not null;

    public override string ToString() => IsS3 ? $"s3://{Bucket}/{Prefix}" : LocalPath!;

    public static bool TryParse(string text, out OutputLocation location, out string problem)
    {
        location = new OutputLocation(null, null, string.Empty);
        problem = string.Empty;
        if (text.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            var rest = text[5..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            var bucket = slash < 0 ? rest : rest[..slash];
            var prefix = slash < 0 ? string.Empty : rest[(slash + 1)..].Trim('/');
            if (!Ingest.Worker.BucketAllowList.TryParseEntry(bucket, out _, out _))
            {
                problem = $"'{bucket}' is not a valid S3 bucket name";
                return false;
            }

            if (prefix.Split('/').Any(s => s is "." or ".."))
            {
                problem = "the prefix may not contain '.' or '..' segments";
                return false;
            }

            location = new OutputLocation(null, bucket, prefix.Length == 0 ? string.Empty : prefix + "/");
            return true;
        }

        if (text.Contains("://", StringComparison.Ordinal))
        {
            problem = "only local folders and s3://bucket/prefix are supported";
            return false;
        }

        // "s3:/lake/kms" or "s3:lake/kms" would otherwise be a local folder named "s3:", and a worker would write the
        // dataset (and its ledger) onto the container's disk instead of the bucket, deleting the messages: refused.
        if (LooksLikeUri(text))
        {
            problem = $"'{text}' looks like a URI but is not s3://bucket/prefix (for a local folder that really starts with '{text[..(text.IndexOf(':', StringComparison.Ordinal) + 1)]}', write ./{text})";
            return false;
        }

        location = new OutputLocation(Path.GetFullPath(text), null, string.Empty);
        return true;
    }

    // A scheme (two or more characters, so that a Windows drive letter is not one) followed by ':'.
    private static bool LooksLikeUri(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon >= 2 && char.IsAsciiLetter(text[0]) && text.AsSpan(1, colon - 1).IndexOfAnyExcept(SchemeCharacters) < 0;
    }

    private static readonly System.Buffers.SearchValues<char> SchemeCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
}
