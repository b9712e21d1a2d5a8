namespace Pipeline.Tests.Support;

/// <summary>A temporary folder laid out like a CloudTrail bucket, for ingest tests.</summary>
internal sealed class TrailFolder : IDisposable
{
    private int _sequence;

    public TrailFolder()
    {
        Root = Path.Combine(Path.GetTempPath(), "pipeline-trails", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>Writes a gzip log file at the standard organization-trail key and returns its path.</summary>
    public string AddLogFile(string json, string account = "111122223333", string region = "us-east-1")
    {
        var n = Interlocked.Increment(ref _sequence);
        var dir = Path.Combine(Root, "AWSLogs", "o-abcdef1234", account, "CloudTrail", region, "2026", "01", "15");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"{account}_CloudTrail_{region}_20260115T10{n % 60:D2}Z_Abcdefgh{n:D8}.json.gz");
        File.WriteAllBytes(path, CloudTrailRecords.Gzip(json));
        return path;
    }

    public string AddFile(string relativePath, byte[] content)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
