namespace Pipeline.Generation;

/// <summary>Thread-safe running totals behind <see cref="GenerationProgress"/> reports.</summary>
internal sealed class ProgressState
{
    private readonly long _target;
    private readonly IProgress<GenerationProgress>? _progress;
    private long _bytes;
    private int _files;

    public ProgressState(long target, IProgress<GenerationProgress>? progress)
    {
        _target = target;
        _progress = progress;
    }

    public void Add(long bytes, int files)
    {
        var b = Interlocked.Add(ref _bytes, bytes);
        var f = Interlocked.Add(ref _files, files);
        _progress?.Report(new GenerationProgress(b, _target, f));
    }
}
