namespace Pipeline.Tests.Support;

/// <summary>A test class that writes log files to a trail folder and ingests them into a dataset; both are deleted after each test.</summary>
public abstract class TrailDatasetTest : IDisposable
{
    private protected TrailFolder Trail { get; } = new();

    private protected TempDataset Data { get; } = new();

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
