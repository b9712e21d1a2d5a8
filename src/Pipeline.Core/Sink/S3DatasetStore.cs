using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace Pipeline.Sink;

/// <summary>
/// <see cref="IDatasetStore"/> over <c>s3://bucket/prefix</c>. Files are staged in a local temporary file and
/// published with one PutObject: S3 makes an object visible only when its upload completes, so a reader never sees
/// part of a file under its final key, and file names are unique so nothing is overwritten.
/// </summary>
internal sealed class S3DatasetStore : IDatasetStore
{
    private readonly IAmazonS3 _s3;
    private readonly string _bucket;
    private readonly string _prefix;
    private readonly string _stagingDirectory;

    public S3DatasetStore(IAmazonS3 s3, string bucket, string prefix, string? stagingDirectory = null)
    {
        _s3 = s3;
        _bucket = bucket;
        _prefix = prefix.Length == 0 || prefix.EndsWith('/') ? prefix : prefix + "/";
        _stagingDirectory = stagingDirectory ?? Path.Combine(Path.GetTempPath(), "pipeline-staging");
        Directory.CreateDirectory(_stagingDirectory);
    }

    public string Location => $"s3://{_bucket}/{_prefix}";

    /// <summary>
    /// Stages a few bytes (the local staging folder) and puts one small fixed object, <c>_probe</c> under the dataset's
    /// prefix (the bucket, the prefix and the permission to write there): a worker may not delete on S3, so the probe
    /// overwrites the same object each time. Readers look under <c>kms_events/</c> only.
    /// </summary>
    public async Task ProbeWritableAsync(string relativeDirectory, CancellationToken cancellationToken)
    {
        await StagedFiles.ProbeAsync(this, relativeDirectory, cancellationToken).ConfigureAwait(false);
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = Key(ProbeName), ContentBody = "written by a pipeline worker to check that the dataset can be written\n", ContentType = "text/plain" }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The object <see cref="ProbeWritableAsync"/> writes, relative to the dataset's prefix.</summary>
    public const string ProbeName = "_probe";

    public Task<IStagedFile> CreateStagedFileAsync(string relativeDirectory, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var tempPath = Path.Combine(_stagingDirectory, DatasetLayout.NewTempName());
        var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        return Task.FromResult<IStagedFile>(new S3StagedFile(this, Checked(relativeDirectory).TrimEnd('/'), stream));
    }

    public async Task<IReadOnlyList<DatasetFile>> ListFilesAsync(string relativeDirectory, string suffix, CancellationToken cancellationToken)
    {
        var files = new List<DatasetFile>();
        var prefix = Key(Checked(relativeDirectory).TrimEnd('/') + "/");
        await foreach (var o in ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            var name = o.Key[prefix.Length..];
            if (name.Length > 0 && !name.Contains('/', StringComparison.Ordinal) && name.EndsWith(suffix, StringComparison.Ordinal) && !name.StartsWith(DatasetLayout.TempPrefix, StringComparison.Ordinal))
            {
                files.Add(new DatasetFile(o.Key[_prefix.Length..], o.Size ?? 0, o.LastModified?.ToUniversalTime() ?? DateTime.MinValue));
            }
        }

        return files.OrderBy(f => f.RelativePath, StringComparer.Ordinal).ToList();
    }

    public async Task<IReadOnlyList<string>> ListDirectoriesAsync(string relativeDirectory, CancellationToken cancellationToken)
    {
        var prefix = Key(Checked(relativeDirectory).TrimEnd('/') + "/");
        var result = new SortedSet<string>(StringComparer.Ordinal);
        string? token = null;
        do
        {
            var response = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = prefix, Delimiter = "/", ContinuationToken = token }, cancellationToken).ConfigureAwait(false);
            foreach (var common in response.CommonPrefixes ?? [])
            {
                result.Add(common[prefix.Length..].TrimEnd('/'));
            }

            token = response.IsTruncated == true ? response.NextContinuationToken : null;
        }
        while (token is not null);
        return result.ToList();
    }

    public async Task<bool> ExistsAsync(string relativePath, CancellationToken cancellationToken)
    {
        try
        {
            await _s3.GetObjectMetadataAsync(_bucket, Key(Checked(relativePath)), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public Task DeleteAsync(string relativePath, CancellationToken cancellationToken) =>
        _s3.DeleteObjectAsync(_bucket, Key(Checked(relativePath)), cancellationToken);

    public async Task<string?> ReadTextAsync(string relativePath, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _s3.GetObjectAsync(_bucket, Key(Checked(relativePath)), cancellationToken).ConfigureAwait(false);
            using var reader = new StreamReader(response.ResponseStream, Encoding.UTF8);
            return await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Copies an object of the dataset to a local file (written beside it, then renamed: never half a file under its name).</summary>
    public async Task DownloadAsync(string relativePath, string localPath, CancellationToken cancellationToken)
    {
        var partial = localPath + ".part";
        using (var response = await _s3.GetObjectAsync(_bucket, Key(Checked(relativePath)), cancellationToken).ConfigureAwait(false))
        {
            await using var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await response.ResponseStream.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
        }

        File.Move(partial, localPath, overwrite: true);
    }

    public Task WriteTextAsync(string relativePath, string content, CancellationToken cancellationToken, bool durable = true) =>
        _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = Key(Checked(relativePath)), ContentBody = content, ContentType = "application/json" }, cancellationToken);

    /// <summary>One PUT per path, each with its own line (S3 has no links; a shared text would multiply the bytes).</summary>
    public Task WriteLinesAsync(IReadOnlyList<(string RelativePath, string Line)> entries, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(
            entries,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (entry, ct) => await WriteTextAsync(entry.RelativePath, entry.Line + "\n", ct, durable: false).ConfigureAwait(false));

    /// <summary>Nothing to clean in the bucket (no temporary keys are ever written); removes local staging files.</summary>
    public int CleanupStaleTempFiles(TimeSpan olderThan)
    {
        var cutoff = DateTime.UtcNow - olderThan;
        var removed = 0;
        foreach (var file in new DirectoryInfo(_stagingDirectory).EnumerateFiles(DatasetLayout.TempPrefix + "*"))
        {
            if (file.LastWriteTimeUtc < cutoff)
            {
                try
                {
                    file.Delete();
                    removed++;
                }
                catch (IOException)
                {
                }
            }
        }

        return removed;
    }

    internal async Task<string> UploadAsync(string relativeDirectory, string fileName, Stream content, CancellationToken cancellationToken)
    {
        var relative = relativeDirectory.Length == 0 ? fileName : relativeDirectory + "/" + fileName;
        content.Position = 0;
        await _s3.PutObjectAsync(
            new PutObjectRequest { BucketName = _bucket, Key = Key(Checked(relative)), InputStream = content, AutoCloseStream = false, ContentType = "application/vnd.apache.parquet" },
            cancellationToken).ConfigureAwait(false);
        return relative;
    }

    private string Key(string relativePath) => _prefix + relativePath;

    private async IAsyncEnumerable<S3Object> ListAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? token = null;
        do
        {
            var response = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = prefix, Delimiter = "/", ContinuationToken = token }, cancellationToken).ConfigureAwait(false);
            foreach (var o in response.S3Objects ?? [])
            {
                yield return o;
            }

            token = response.IsTruncated == true ? response.NextContinuationToken : null;
        }
        while (token is not null);
    }

    // Relative paths come from DatasetLayout and the ledger (hex names), never from notifications; refuse anything odd anyway.
    private static string Checked(string relativePath)
    {
        if (relativePath.StartsWith('/') || relativePath.Split('/').Any(s => s is "." or ".."))
        {
            throw new ArgumentException($"Path '{relativePath}' is not a dataset-relative path.", nameof(relativePath));
        }

        return relativePath;
    }
}
