namespace Pipeline.Parsing;

/// <summary>Where the records being read come from: stored with every row as lineage.</summary>
/// <param name="Bucket">S3 bucket, or null for a local file.</param>
/// <param name="Key">S3 key (decoded) or local path.</param>
/// <param name="Display">How errors and logs name the object (<c>s3://bucket/key</c> or the path).</param>
/// <param name="IngestTime">When this ingestion started, UTC; the same for every row of the object.</param>
internal sealed record SourceContext(string? Bucket, string Key, string Display, DateTime IngestTime)
{
    public static SourceContext ForFile(string path, DateTime ingestTime) => new(null, path, path, ingestTime);

    public static SourceContext ForS3(string bucket, string key, DateTime ingestTime) => new(bucket, key, $"s3://{bucket}/{key}", ingestTime);
}
