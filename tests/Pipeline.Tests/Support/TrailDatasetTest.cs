namespace Pipeline.Tests.Support;

/// <summary>A test class that writes log files to a trail folder and ingests them into a dataset; both are deleted after each test.</summary>
public abstract class TrailDatasetTest : IDisposable
{
    private protected TrailFolder Trail { get; } = new();

    private protected TempDataset Data { get; } = new();

    /// <summary>Ingests the trail folder into the dataset through the CLI, as a user would; fails the test on a non-zero exit.</summary>
    private protected async Task IngestAsync()
    {
        var (exit, _, error) = await CliRunner.RunAsync("ingest", Trail.Root, "--out", Data.Root);
        Assert.True(exit == 0, error);
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Trail.Dispose();
            Data.Dispose();
        }
    }
}
